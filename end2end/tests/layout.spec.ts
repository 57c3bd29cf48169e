import { test, expect, type Page } from '@playwright/test';

/** What sticks out sideways: the page's scroll width and any element wider than the viewport. */
async function overflow(page: Page) {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getBoundingClientRect().width > width + 1)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${String(el.className).split(' ').join('.')}`);
    return { scroll: document.documentElement.scrollWidth - width, wide };
  });
}

// The playground fits a desktop (1440 px) and a phone (390 px) without scrolling
// sideways, before and after a pipeline run (which fills the flow graph and the cards).
for (const width of [1440, 390]) {
  test(`layout at ${width} px: nothing wider than the viewport, no sideways scrolling`, async ({ page }, testInfo) => {
    await page.setViewportSize({ width, height: 900 });
    await page.goto('/playground');
    await expect(page.locator('#pipeline-run')).toBeEnabled();
  await page.locator('#tab-playground').click();
    expect(await overflow(page)).toEqual({ scroll: 0, wide: [] });
    await page.locator('#pipeline-images').fill('8');
    await page.locator('#pipeline-images').dispatchEvent('change');
    await page.locator('#pipeline-run').click();
    await expect(page.locator('#pipeline-done')).toHaveText('8', { timeout: 60_000 });
    expect(await overflow(page)).toEqual({ scroll: 0, wide: [] });
    await page.screenshot({ path: testInfo.outputPath(`playground-${width}.png`), fullPage: true });
  });
}

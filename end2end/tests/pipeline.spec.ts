import { test, expect, type Page } from '@playwright/test';

async function open(page: Page, problems: string[]) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto('/');
  await expect(page.locator('#pipeline-run')).toBeEnabled();
}

async function set(page: Page, id: string, value: number) {
  await page.locator(id).fill(String(value));
  await page.locator(id).dispatchEvent('change');
}

const number = async (page: Page, selector: string) => Number(await page.locator(selector).textContent());

test('pipeline: every image goes through resize, analyze and enhance, and comes out with more contrast', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await set(page, '#pipeline-images', 6);
  await set(page, '#pipeline-limit', 3);
  await page.locator('#pipeline-run').click();
  await expect(page.locator('#pipeline-done')).toHaveText('6', { timeout: 60_000 });
  await expect(page.locator('img.processed')).toHaveCount(6);
  for (const card of await page.locator('li.image').all()) {
    await expect(card).toHaveAttribute('data-stage', 'done');
    const [lo0, hi0] = (await card.getAttribute('data-before'))!.split('–').map(Number);
    const [lo1, hi1] = (await card.getAttribute('data-after'))!.split('–').map(Number);
    expect(hi1 - lo1).toBeGreaterThan(hi0 - lo0);
    // The browser decoded the BMP the worker made.
    const width = await card.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth);
    expect(width).toBe(160);
  }
  // The resize pool ran two images at once; the singletons one at a time.
  expect(await number(page, '#stage-resize .peak')).toBe(2);
  expect(await number(page, '#stage-analyze .peak')).toBe(1);
  expect(await number(page, '#stage-enhance .peak')).toBe(1);
  await expect(page.locator('#stage-resize .status')).toHaveText('idle');
  // The event stream: 18 calls (6 images x 3 stages), all succeeded, one trace holding their spans.
  await expect(page.locator('#events-dispatched')).toHaveText('18');
  await expect(page.locator('#events-succeeded')).toHaveText('18');
  await expect(page.locator('tr.trace').first()).toHaveAttribute('data-status', 'ok');
  await expect(page.locator('tr.trace').first()).toHaveAttribute('data-spans', '18');
  await expect(page.locator('tr.span')).toHaveCount(6);
  // The enhance worker stops after 2 s without work.
  await expect(page.locator('#stage-enhance .workers')).toHaveText('0/1', { timeout: 10_000 });
  await page.screenshot({ path: testInfo.outputPath('pipeline.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('pipeline: an abort stops the run; the rest is counted canceled and nothing more completes', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await set(page, '#pipeline-images', 24);
  await set(page, '#pipeline-limit', 2);
  await page.locator('#pipeline-run').click();
  await expect.poll(() => number(page, '#pipeline-done'), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await page.locator('#pipeline-abort').click();
  await expect(page.locator('#pipeline-run')).toBeEnabled({ timeout: 30_000 });
  const done = await number(page, '#pipeline-done');
  const canceled = await number(page, '#pipeline-canceled');
  expect(done + canceled + (await number(page, '#pipeline-failed'))).toBe(24);
  expect(canceled).toBeGreaterThan(0);
  await page.waitForTimeout(500);
  expect(await number(page, '#pipeline-done')).toBe(done);
  await page.screenshot({ path: testInfo.outputPath('pipeline-abort.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('pipeline: a rejecting analyze stage sheds what its queue cannot hold, and the rest completes', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await set(page, '#pipeline-images', 12);
  await set(page, '#pipeline-limit', 8);
  await set(page, '#pipeline-analyze-depth', 1);
  await page.locator('#pipeline-analyze-policy').selectOption('reject');
  await page.locator('#pipeline-run').click();
  await expect(page.locator('#pipeline-run')).toBeEnabled({ timeout: 60_000 });
  const done = await number(page, '#pipeline-done');
  const failed = await number(page, '#pipeline-failed');
  expect(done + failed).toBe(12);
  expect(failed).toBeGreaterThan(0);
  expect(done).toBeGreaterThan(0);
  await expect(page.locator('li.image[data-stage="failed"] .caption').first()).toContainText('failed');
  await expect(page.locator('#stage-analyze .percentiles')).toContainText('ms');
  await page.screenshot({ path: testInfo.outputPath('pipeline-reject.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('pipeline: "crash next" crashes the analyze worker once; under requeue every image still comes out', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await set(page, '#pipeline-images', 4);
  await set(page, '#pipeline-limit', 2);
  await page.locator('#pipeline-crash-next').check();
  await page.locator('#pipeline-run').click();
  await expect(page.locator('#pipeline-done')).toHaveText('4', { timeout: 60_000 });
  await expect(page.locator('#events-crashes')).toHaveText('1');
  expect(Number(await page.locator('#events-requeued').textContent())).toBeGreaterThanOrEqual(1);
  await expect(page.locator('#pipeline-crash-next')).not.toBeChecked();
  await page.screenshot({ path: testInfo.outputPath('pipeline-crash.png'), fullPage: true });
  expect(problems.filter((p) => !p.includes('crash requested'))).toEqual([]);
});

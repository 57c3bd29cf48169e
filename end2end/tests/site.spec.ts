import { test, expect, type Page } from '@playwright/test';

function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  return problems;
}

test('home: the hero offers the install commands and leads to the docs and the playground', async ({ page }, testInfo) => {
  const problems = watchForProblems(page);
  await page.goto('/');
  await expect(page.locator('.hero h1')).toHaveText('leptos_atelier');
  await expect(page.locator('.install code').first()).toHaveText('cargo add leptos_atelier');
  // The copy button puts the command on the clipboard and says so.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  // The button is server-rendered: a click before hydration does nothing, so click
  // until the page answers (then every control below is live).
  await expect(async () => {
    await page.locator('#install-crate').click();
    await expect(page.locator('#install-crate')).toHaveText('copied', { timeout: 1000 });
  }).toPass();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('cargo add leptos_atelier');
  await expect(page.locator('.explainer')).toHaveCount(5);
  // The code sample's tabs switch the file shown.
  await page.locator('#sample-1').click();
  await expect(page.locator('#sample-code')).toContainText('pub async fn resize(image: Image');
  await page.locator('#sample-2').click();
  await expect(page.locator('#sample-code')).toContainText('WORKER_BOOTSTRAP');
  await page.screenshot({ path: testInfo.outputPath('home.png'), fullPage: true });
  await page.locator('#open-playground').click();
  await expect(page).toHaveURL(/\/playground$/);
  await expect(page.locator('#pipeline-run')).toBeEnabled();
  expect(problems).toEqual([]);
});

test('docs: the guides render from markdown, with a sidebar in manifest order', async ({ page }, testInfo) => {
  const problems = watchForProblems(page);
  await page.goto('/docs');
  await expect(page.locator('#doc h1')).toHaveText('Getting started');
  const titles = await page.locator('.sidebar a').allTextContents();
  expect(titles).toEqual([
    'Getting started',
    'Worker setup',
    'Backpressure and queue states',
    'Cancellation and timeouts',
    'Crash recovery',
    'Transferables',
    'Observability',
    'Running for days',
    'Devtools',
    'cargo-leptos (SSR + hydrate)',
    'Trunk (client-side rendering)',
    'Bundlers (Vite, webpack, …)',
    'Reference',
  ]);
  await page.locator('.sidebar a', { hasText: 'Backpressure and queue states' }).click();
  await expect(page).toHaveURL(/\/docs\/backpressure$/);
  await expect(page.locator('#doc h1')).toHaveText('Backpressure and queue states');
  await expect(page.locator('#doc table td code')).toContainText(['Block', 'Reject', 'DropLatest', 'DropOldest']);
  await expect(page.locator('.sidebar li.current')).toHaveText('Backpressure and queue states');
  await page.screenshot({ path: testInfo.outputPath('docs.png'), fullPage: true });
  await page.goto('/docs/no-such-page');
  await expect(page.locator('#doc h1')).toHaveText('No such page');
  expect(problems).toEqual([]);
});

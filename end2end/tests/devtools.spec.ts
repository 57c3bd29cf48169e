import { test, expect } from '@playwright/test';

// The devtools panel in the playground shows what the page shows: the lab task's
// queue during a run, a crash with its cause, and a key aborted and cleared from
// the panel.
test('devtools: the panel follows the lab task, its crash and its aborted keys', async ({ page }, testInfo) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto('/playground');
  await expect(page.locator('#lab-run')).toBeEnabled();

  const toggle = page.getByRole('button', { name: 'Task devtools' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('#atelier-devtools-panel')).toHaveCount(0);
  await toggle.click();
  const panel = page.getByRole('region', { name: 'Task runtime devtools' });
  await expect(panel).toBeVisible();

  // A lab run: the panel's counts for the lab task match the page's own.
  const lab = panel.locator('[data-task="lab"]');
  await page.locator('#preset-crash').click();
  await page.locator('#lab-run').click();
  await expect(page.locator('#lab-run')).toBeEnabled({ timeout: 60_000 });
  await expect(page.locator('#lab-completed')).toHaveText('8');
  await expect(lab.locator('[data-field="outcomes"]')).toHaveText(/^8 \/ 0 \/ 0 \/ 0$/);
  await expect(lab.locator('[data-field="in-flight"]')).toHaveText(/^0 \/ \d+$/);
  // "crash next" crashed a worker: the panel names the cause.
  await expect(lab.locator('[data-field="last-crash"]')).toContainText('crash requested');

  // A key aborted from the panel during a run stops the run; cleared, it is gone.
  await page.locator('#lab-jobs').fill('24');
  await page.locator('#lab-jobs').dispatchEvent('change');
  await page.locator('#lab-depth').fill('24');
  await page.locator('#lab-depth').dispatchEvent('change');
  await page.locator('#lab-crash-next').uncheck();
  await page.locator('#lab-run').click();
  await expect.poll(async () => Number(await page.locator('#lab-completed').textContent()), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(1);
  await panel.getByLabel('Abort key').fill('lab-run');
  await panel.getByRole('button', { name: 'Abort', exact: true }).click();
  await expect(page.locator('#lab-run')).toBeEnabled({ timeout: 60_000 });
  expect(Number(await page.locator('#lab-canceled').textContent())).toBeGreaterThan(0);
  const key = panel.locator('[data-key="lab-run"]');
  await expect(key).toBeVisible();
  await key.getByRole('button', { name: 'Clear key lab-run' }).click();
  await expect(key).toHaveCount(0);

  await page.screenshot({ path: testInfo.outputPath('devtools.png'), fullPage: false });
  await toggle.click();
  await expect(page.locator('#atelier-devtools-panel')).toHaveCount(0);
  expect(problems.filter((p) => !p.includes('crash requested'))).toEqual([]);
});

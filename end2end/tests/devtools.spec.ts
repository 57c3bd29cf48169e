import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/** The accessibility rules the devtools break (axe-core), as readable lines. */
async function violations(page: Page) {
  const results = await new AxeBuilder({ page }).include('.atelier-devtools').analyze();
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

// The devtools panel in the playground shows what the page shows: the lab task's
// counts after a run, a crash with its cause, and a key aborted from the panel during
// a run (which stops it) and cleared there. The panel floats over the page, as
// devtools do, so it is closed while the page's own controls are used.
test('devtools: the panel follows the lab task, its crash and its aborted keys', async ({ page }, testInfo) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto('/playground');
  await expect(page.locator('#lab-run')).toBeEnabled();

  const toggle = page.locator('#atelier-devtools-toggle');
  const panel = page.getByRole('region', { name: 'Task runtime devtools' });
  await expect(toggle).toHaveAccessibleName('Task devtools');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(page.locator('#atelier-devtools-panel')).toHaveCount(0);
  // Keyboard: the toggle takes focus and opens the panel with Enter.
  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(panel).toBeVisible();
  await expect(toggle).toHaveAccessibleName('Close task devtools');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(panel.locator('#atelier-devtools-summary')).toContainText(/\d+ tasks?: 0 in flight/);
  await toggle.click();
  await expect(panel).toHaveCount(0);

  // A run with "crash next" under requeue: the panel's counts match the page's, and it
  // names the crash's cause.
  await page.locator('#preset-crash').click();
  await page.locator('#lab-run').click();
  await expect(page.locator('#lab-run')).toBeEnabled({ timeout: 60_000 });
  await expect(page.locator('#lab-completed')).toHaveText('8');
  await toggle.click();
  const lab = panel.locator('[data-task="lab"]');
  await expect(lab.locator('[data-field="outcomes"]')).toHaveText('8 / 0 / 0 / 0');
  await expect(lab.locator('[data-field="in-flight"]')).toHaveText(/^0 \/ \d+$/);
  await expect(lab.locator('[data-field="last-crash"]')).toContainText('crash requested');
  await toggle.click();

  // A key aborted from the panel during a run stops the run; cleared there, it is gone.
  await page.locator('#lab-jobs').fill('24');
  await page.locator('#lab-jobs').dispatchEvent('change');
  await page.locator('#lab-depth').fill('24');
  await page.locator('#lab-depth').dispatchEvent('change');
  await page.locator('#lab-crash-next').uncheck();
  await page.locator('#lab-run').click();
  await expect
    .poll(async () => Number(await page.locator('#lab-completed').textContent()), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(1);
  await toggle.click();
  await panel.getByLabel('Abort key').fill('lab-run');
  await panel.getByRole('button', { name: 'Abort', exact: true }).click();
  await expect(page.locator('#lab-run')).toBeEnabled({ timeout: 60_000 });
  expect(Number(await page.locator('#lab-canceled').textContent())).toBeGreaterThan(0);
  const key = panel.locator('[data-key="lab-run"]');
  await expect(key).toBeVisible();
  await key.getByRole('button', { name: 'Clear key lab-run' }).click();
  await expect(key).toHaveCount(0);

  // Labelled, keyboard-operable, readable contrast: axe-core finds nothing, light or dark.
  expect(await violations(page)).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('devtools-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await violations(page)).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath('devtools-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });
  await toggle.click();
  await expect(page.locator('#atelier-devtools-panel')).toHaveCount(0);
  expect(problems.filter((p) => !p.includes('crash requested'))).toEqual([]);
});

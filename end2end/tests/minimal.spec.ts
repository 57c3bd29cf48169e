import { countPrimesBelow } from './primes';
import { test, expect } from '@playwright/test';
import { MINIMAL_URL } from '../playwright.config';

test.use({ baseURL: MINIMAL_URL });

test('the minimal example: a task resource counts on a worker and recounts when its input changes', async ({ page }, testInfo) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto('/');
  await expect(page.locator('#count')).toHaveText(String(countPrimesBelow(200_000)), { timeout: 30_000 });

  // A new bound makes the running count stale: the resource moves on to the new one.
  await page.locator('#below').fill('5000000');
  await page.locator('#below').dispatchEvent('change');
  await expect(page.locator('#in-flight')).toHaveText('1');
  await page.locator('#below').fill('30000');
  await page.locator('#below').dispatchEvent('change');
  await expect(page.locator('#count')).toHaveText(String(countPrimesBelow(30_000)), { timeout: 30_000 });
  await expect(page.locator('#in-flight')).toHaveText('0');
  await page.screenshot({ path: testInfo.outputPath('minimal.png'), fullPage: true });
  expect(problems).toEqual([]);
});

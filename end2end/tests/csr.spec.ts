import { test, expect } from '@playwright/test';
import { CSR_URL } from '../playwright.config';

// examples/csr: a client-side-rendered app built and served by Trunk, whose `fn main`
// returns early in workers (they run the same bundle, and its start function with it).
test.use({ baseURL: CSR_URL });

/** The workers' `Fingerprint`, computed independently: FNV-1a (32 bit) of `mebibytes`
 * MiB whose byte `i` is `i * 31 + 7`, truncated to 8 bits. */
function fingerprint(mebibytes: number): string {
  let hash = 0x811c9dc5;
  const bytes = mebibytes * (1 << 20);
  for (let i = 0; i < bytes; i++) {
    hash = Math.imul(hash ^ ((Math.imul(i, 31) + 7) & 0xff), 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

test('a Trunk-built CSR app: calls complete on its pool of three workers, with no errors', async ({ page }, testInfo) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('worker', (worker) => {
    worker.on('console', (m) => {
      if (m.type() === 'error') problems.push(`worker console error: ${m.text()}`);
    });
  });

  await page.goto('/');

  // The task is defined eagerly with a pool of 3: three workers start and serve,
  // none of them mounting the app (a mount would fail without a DOM).
  await expect(page.locator('#worker-count')).toHaveText('3', { timeout: 30_000 });
  await expect(page.locator('.worker[data-state="ready"]')).toHaveCount(3);
  await expect.poll(() => page.workers().length).toBe(3);
  for (const worker of page.workers()) expect(worker.url()).toMatch(/^blob:/);

  // A task resource: the initial text is counted on a worker, then every edit.
  await expect(page.locator('#stats')).toHaveText(/^9 words, 1 line, longest “counted” \(worker [0-2]\)$/, {
    timeout: 30_000,
  });
  await page.locator('#text').fill('one two three\nfour');
  await expect(page.locator('#stats')).toHaveText(/^4 words, 2 lines, longest “three” \(worker [0-2]\)$/);

  // A task action with progress: 16 MiB hashed on a worker, checked here.
  await page.locator('#fingerprint').click();
  await expect(page.locator('#fingerprint-result')).toHaveText(
    new RegExp(`^${fingerprint(16)} \\(worker [0-2]\\)$`),
    { timeout: 60_000 },
  );
  await expect(page.locator('#cancel')).toBeDisabled();

  await page.screenshot({ path: testInfo.outputPath('csr.png'), fullPage: true });
  expect(problems).toEqual([]);
});

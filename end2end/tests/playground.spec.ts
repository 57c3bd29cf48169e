import { countPrimesBelow } from './primes';
import { test, expect, type Page, type Worker } from '@playwright/test';

/** Collects everything that would mean the page is broken. */
function watchForProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return problems;
}

test('the server-rendered page shows its empty state before hydration', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/playground');
  await expect(page.locator('h1')).toHaveText('leptos_atelier playground');
  await expect(page.locator('#run')).toBeDisabled();
  await expect(page.locator('#status')).toHaveText('idle');
  await expect(page.locator('#in-flight')).toHaveText('0');
  // Empty states say what will appear.
  await expect(page.locator('#results-empty')).toContainText('press Run');
  await expect(page.locator('#pipeline-empty')).toContainText('press Run');
  await expect(page.locator('#lab-latency-empty')).toContainText('No call measured yet');
  await context.close();
});

test('a run counts primes on two real workers, and the live counts follow the queue', async ({ page }, testInfo) => {
  const problems = watchForProblems(page);
  const workerUrls: string[] = [];
  const workers: Worker[] = [];
  page.on('worker', (w) => {
    workerUrls.push(w.url());
    workers.push(w);
  });

  const response = await page.goto('/playground');
  expect(response?.headers()['content-security-policy']).toBe("worker-src 'self'");
  // Cross-origin isolated, so the runtime and its workers share memory.
  expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const run = page.locator('#run');
  await expect(run).toBeEnabled(); // enabled once hydrated

  const jobs = 10;
  await page.locator('#jobs').fill(String(jobs));
  await page.locator('#jobs').blur();
  await run.click();
  await expect(page.locator('#results-empty')).toHaveCount(0);
  await expect(page.locator('#status')).toHaveText(`done: ${jobs} jobs`, { timeout: 90_000 });

  const rows = page.locator('tr.job');
  await expect(rows).toHaveCount(jobs);
  const servedBy = new Set<string>();
  for (let i = 0; i < jobs; i++) {
    const row = rows.nth(i);
    await expect(row).toHaveAttribute('data-status', 'done');
    const below = Number(await row.getAttribute('data-below'));
    const count = Number(await row.getAttribute('data-count'));
    expect(count, `primes below ${below}`).toBe(countPrimesBelow(below));
    servedBy.add((await row.getAttribute('data-worker')) ?? '');
  }
  expect([...servedBy].sort()).toEqual(['0', '1']);

  // The signal followed every transition: two calls ran at once, and all drained.
  await expect(page.locator('#peak-in-flight')).toHaveText('2');
  await expect(page.locator('#in-flight')).toHaveText('0');
  await expect(page.locator('#pending')).toHaveText('0');
  await expect(page.locator('#waiting')).toHaveText('0');
  await expect(page.locator('#active-workers')).toHaveText('2');
  await expect(page.locator('li.worker[data-state="ready"]')).toHaveCount(2);

  // The workers start from the bootstrap script the server serves, under a policy
  // that refuses blob: workers: the two of this pool, the image pipeline's analyze
  // worker, which starts as soon as the page is up (InitMode::Eager), and the spare
  // the runtime keeps started (RuntimeOptions::spare_workers(1)) from the same script.
  expect(workerUrls.length).toBe(4);
  for (const url of workerUrls) expect(url).toMatch(/\/atelier-bootstrap\.js$/);
  // Every worker is isolated too (its script came with the same headers), and the
  // three serving ones were offered shared memory (the spare has had no hello yet).
  const seen = await Promise.all(
    workers.map((w) =>
      w.evaluate(() => [self.crossOriginIsolated, (self as unknown as { __leptosAtelierShared?: boolean }).__leptosAtelierShared === true]),
    ),
  );
  expect(seen.filter(([isolated]) => isolated)).toHaveLength(4);
  expect(seen.filter(([, offered]) => offered)).toHaveLength(3);

  await page.screenshot({ path: testInfo.outputPath('playground-after-run.png'), fullPage: true });
  expect(problems).toEqual([]);
});

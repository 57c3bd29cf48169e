import { test, expect, type Page } from '@playwright/test';

/** The lab's counters, as numbers. */
async function counts(page: Page) {
  const read = async (id: string) => Number(await page.locator(`#${id}`).textContent());
  return {
    completed: await read('lab-completed'),
    canceled: await read('lab-canceled'),
    rejected: await read('lab-rejected'),
    failed: await read('lab-failed'),
    crashes: await read('lab-crashes'),
    requeued: await read('lab-requeued'),
  };
}

/** Opens the page and waits for hydration (the lab's Run button comes alive). */
async function open(page: Page, problems: string[]) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto('/playground');
  await expect(page.locator('#lab-run')).toBeEnabled();
}

async function configure(page: Page, options: { jobs: number; depth?: number; policy?: string; crash?: string }) {
  await page.locator('#lab-jobs').fill(String(options.jobs));
  await page.locator('#lab-jobs').dispatchEvent('change');
  if (options.depth !== undefined) {
    await page.locator('#lab-depth').fill(String(options.depth));
    await page.locator('#lab-depth').dispatchEvent('change');
  }
  if (options.policy) await page.locator('#lab-policy').selectOption(options.policy);
  if (options.crash) await page.locator('#lab-crash-policy').selectOption(options.crash);
}

/** Waits until every job of the run has an outcome, and returns the counts. */
async function finished(page: Page, jobs: number) {
  await expect(page.locator('#lab-run')).toBeEnabled({ timeout: 60_000 });
  const c = await counts(page);
  expect(c.completed + c.canceled + c.rejected + c.failed).toBe(jobs);
  return c;
}

test('backpressure: under reject, a shallow queue sheds calls and the counts add up', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  // The scenario preset sets the controls.
  await page.locator('#preset-backpressure').click();
  await expect(page.locator('#lab-jobs')).toHaveValue('12');
  await expect(page.locator('#lab-depth')).toHaveValue('2');
  await expect(page.locator('#lab-policy')).toHaveValue('reject');
  await page.locator('#lab-run').click();
  const c = await finished(page, 12);
  // 2 run, 2 wait in the queue, the other 8 are refused at once.
  expect(c.rejected).toBe(8);
  expect(c.completed).toBe(4);
  expect(c.failed).toBe(0);
  await expect(page.locator('#lab-status')).toHaveText('idle');
  await page.screenshot({ path: testInfo.outputPath('backpressure.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('cancellation: aborting mid-run stops further completions and counts the canceled', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await configure(page, { jobs: 24, depth: 24, policy: 'block' });
  await page.locator('#lab-run').click();
  await expect.poll(async () => (await counts(page)).completed, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await page.locator('#lab-abort').click();
  const c = await finished(page, 24);
  expect(c.canceled).toBeGreaterThan(0);
  expect(c.completed).toBeLessThan(24);
  // Nothing completes after the abort, even once the workers are done with what they held.
  await page.waitForTimeout(1_000);
  expect((await counts(page)).completed).toBe(c.completed);
  await expect(page.locator('#lab-in-flight')).toHaveText('0');
  await page.screenshot({ path: testInfo.outputPath('cancellation.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('crash recovery: "crash next" under requeue completes every job and counts the crash', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await page.locator('#preset-crash').click();
  await expect(page.locator('#lab-crash-policy')).toHaveValue('requeue');
  await expect(page.locator('#lab-crash-next')).toBeChecked();
  await page.locator('#lab-run').click();
  const c = await finished(page, 8);
  expect(c.completed).toBe(8);
  expect(c.crashes).toBe(1);
  expect(c.requeued).toBeGreaterThanOrEqual(1);
  await expect(page.locator('#lab-workers')).toHaveText('2/2');
  await page.screenshot({ path: testInfo.outputPath('crash-requeue.png'), fullPage: true });
  expect(problems.filter((p) => !p.includes('crash requested'))).toEqual([]);
});

test('crash recovery: "crash next" under fail-task halts the task and shows the error', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await configure(page, { jobs: 8, depth: 8, policy: 'block', crash: 'fail-task' });
  await page.locator('#lab-crash-next').check();
  await page.locator('#lab-run').click();
  const c = await finished(page, 8);
  expect(c.failed).toBe(8);
  expect(c.crashes).toBe(1);
  await expect(page.locator('#lab-status')).toHaveText('halted');
  await expect(page.locator('#lab-error')).toContainText('crash requested');
  await page.screenshot({ path: testInfo.outputPath('crash-fail-task.png'), fullPage: true });
});

test('latency panel: percentiles appear after a run, ordered p50 <= p95 <= p99', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await configure(page, { jobs: 10, depth: 10, policy: 'block' });
  await page.locator('#lab-run').click();
  await finished(page, 10);
  for (const series of ['run', 'wait']) {
    const ms = async (name: string) => {
      const value = await page.locator(`#lat-${series}-${name}`).getAttribute('data-ms');
      expect(value).not.toBe('');
      return Number(value);
    };
    const [p50, p95, p99] = [await ms('p50'), await ms('p95'), await ms('p99')];
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    if (series === 'run') expect(p50).toBeGreaterThan(0);
  }
  await page.screenshot({ path: testInfo.outputPath('latency.png'), fullPage: true });
  expect(problems).toEqual([]);
});

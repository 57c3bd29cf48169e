import { test, expect, type Page } from '@playwright/test';

async function open(page: Page, problems: string[]) {
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto('/playground');
  await expect(page.locator('#pipeline-run')).toBeEnabled();
  // The pipeline opens on its Overview; the Playground tab has every control.
  await expect(page.locator('#tab-overview')).toHaveAttribute('aria-selected', 'true');
  await page.locator('#tab-playground').click();
}

async function set(page: Page, id: string, value: number) {
  await page.locator(id).fill(String(value));
  await page.locator(id).dispatchEvent('change');
}

const number = async (page: Page, selector: string) => Number(await page.locator(selector).textContent());

test('pipeline: every image goes through resize, analyze and enhance, and comes out with more contrast', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  // Before the first run, sentences say what will appear, not empty tables.
  await expect(page.locator('#pipeline-run-status')).toHaveText('no run yet');
  await expect(page.locator('#pipeline-empty')).toContainText('a card for each image appears here');
  await expect(page.locator('#traces-empty')).toContainText('each pipeline run is one trace');
  await expect(page.locator('#spans-empty')).toContainText('calls of the pipeline');
  await expect(page.locator('ul.images')).toHaveCount(0);
  await set(page, '#pipeline-images', 6);
  await set(page, '#pipeline-limit', 3);
  await page.locator('#pipeline-run').click();
  await expect(page.locator('#pipeline-empty')).toHaveCount(0);
  await expect(page.locator('#pipeline-done')).toHaveText('6', { timeout: 60_000 });
  await expect(page.locator('#traces-empty')).toHaveCount(0);
  await expect(page.locator('#spans-empty')).toHaveCount(0);
  // The lazy enhance worker is up once it has served, and stays up while it is not yet idle long enough.
  await expect(page.locator('#stage-enhance .workers')).toHaveText('1/1');
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
  // The resize pool (four workers) ran as many images at once as the limit let in;
  // the singletons one at a time.
  expect(await number(page, '#stage-resize .peak')).toBe(3);
  expect(await number(page, '#stage-analyze .peak')).toBe(1);
  expect(await number(page, '#stage-enhance .peak')).toBe(1);
  await expect(page.locator('#stage-resize .status')).toHaveText('idle');
  // The event stream: 18 calls (6 images x 3 stages), all succeeded, one trace holding their spans.
  await expect(page.locator('#events-dispatched')).toHaveText('18');
  await expect(page.locator('#events-succeeded')).toHaveText('18');
  await expect(page.locator('tr.trace').first()).toHaveAttribute('data-status', 'ok');
  await expect(page.locator('tr.trace').first()).toHaveAttribute('data-spans', '18');
  await expect(page.locator('tr.span')).toHaveCount(6);
  // The enhance worker stops after its 10 s idle timeout; the wait allows that twice over,
  // so a loaded machine does not race the timer.
  await expect(page.locator('#stage-enhance .workers')).toHaveText('0/1', { timeout: 20_000 });
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
  await expect(page.locator('#pipeline-run-status')).toHaveText('aborted');
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

test('pipeline tabs: each starts from its own settings and shows its controls; Reset restores them', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  const value = (id: string) => page.locator(id).inputValue();

  await page.locator('#tab-throughput').click();
  await expect(page.locator('#tab-throughput')).toHaveAttribute('aria-selected', 'true');
  expect(await value('#pipeline-images')).toBe('30');
  expect(await value('#pipeline-limit')).toBe('6');
  await expect(page.locator('#pipeline-analyze-policy')).toHaveCount(0);

  await page.locator('#tab-backpressure').click();
  expect(await value('#pipeline-images')).toBe('40');
  expect(await value('#pipeline-analyze-depth')).toBe('8');
  await expect(page.locator('#pipeline-depth-on')).toBeChecked();
  await expect(page.locator('#pipeline-limit')).toHaveCount(0);

  await page.locator('#tab-cancellation').click();
  await expect(page.locator('#pipeline-key')).toHaveText('pipeline-run');

  await page.locator('#tab-crashes').click();
  expect(await value('#pipeline-images')).toBe('24');
  await expect(page.locator('#pipeline-analyze-crash')).toHaveValue('requeue');

  await page.locator('#tab-overview').click();
  await expect(page.locator('.overview')).toContainText('resize');

  // Reset puts back the tab's values after they were changed.
  await page.locator('#tab-backpressure').click();
  await set(page, '#pipeline-images', 5);
  await page.locator('#pipeline-analyze-policy').selectOption('reject');
  await page.locator('#pipeline-reset').click();
  expect(await value('#pipeline-images')).toBe('40');
  await expect(page.locator('#pipeline-analyze-policy')).toHaveValue('block');

  // A Backpressure run under Block: all 40 images come out, and the graph's ends agree.
  await page.locator('#pipeline-run').click();
  await expect(page.locator('#pipeline-abort')).toBeVisible();
  await expect(page.locator('#pipeline-done')).toHaveText('40', { timeout: 120_000 });
  await expect(page.locator('#node-external .count')).toHaveText('40');
  await expect(page.locator('#node-source .count')).toHaveText('0');
  await expect(page.locator('#pipeline-run-status')).toHaveText('completed');
  await expect(page.locator('#edge-analyze .pending')).toHaveText('0 / 8');
  await expect(page.locator('#pipeline-abort')).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('pipeline-tabs.png'), fullPage: true });
  expect(problems).toEqual([]);
});

test('pipeline: a simulated error rate fails images with the handler error, and 0 % fails none', async ({ page }, testInfo) => {
  const problems: string[] = [];
  await open(page, problems);
  await set(page, '#pipeline-images', 5);
  await set(page, '#pipeline-error-rate', 100);
  await page.locator('#pipeline-run').click();
  await expect(page.locator('#pipeline-failed')).toHaveText('5', { timeout: 60_000 });
  await expect(page.locator('#pipeline-error')).toContainText('simulated resize error');
  // Every image failed: the run says so, not "completed".
  await expect(page.locator('#pipeline-run-status')).toHaveText('failed');
  await page.screenshot({ path: testInfo.outputPath('pipeline-errors.png'), fullPage: true });
  await page.locator('#reset-crashes').click();
  await expect(page.locator('#pipeline-error-rate')).toHaveValue('0');
  await page.locator('#pipeline-run').click();
  await expect(page.locator('#pipeline-done')).toHaveText('5', { timeout: 60_000 });
  await expect(page.locator('#pipeline-failed')).toHaveText('0');
  await expect(page.locator('#pipeline-run-status')).toHaveText('completed');
  expect(problems).toEqual([]);
});

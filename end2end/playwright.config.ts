import { defineConfig } from '@playwright/test';

// Debian's Chromium, run headless as root; no browser is downloaded.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const baseURL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
/** Where the minimal example listens (tests/minimal.spec.ts). */
export const MINIMAL_URL = 'http://127.0.0.1:3002';
/** Where `trunk serve` serves the CSR example (tests/csr.spec.ts). */
export const CSR_URL = 'http://127.0.0.1:3004';

export default defineConfig({
  testDir: './tests',
  timeout: 120_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    browserName: 'chromium',
    baseURL,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: chromiumArgs,
    },
  },
  webServer: process.env.PW_NO_WEBSERVER
    ? undefined
    : [
        {
          // Built by `cargo leptos build --project playground`; run from the workspace root,
          // where the site lives (target/site).
          command: process.env.SERVER_CMD ?? './target/debug/playground',
          cwd: '..',
          url: baseURL,
          reuseExistingServer: !process.env.CI,
          timeout: 60_000,
        },
        {
          // Built by `cargo leptos build --project minimal`; its site is target/site-minimal.
          command: './target/debug/minimal',
          cwd: '..',
          url: MINIMAL_URL,
          env: { LEPTOS_SITE_ADDR: '127.0.0.1:3002', LEPTOS_SITE_ROOT: 'target/site-minimal' },
          reuseExistingServer: !process.env.CI,
          timeout: 60_000,
        },
        {
          // Trunk serves the CSR example (built by `trunk build`, which `cargo xtask test`
          // runs first, so this build finds nothing to do) as a Trunk user serves an app.
          command: 'trunk serve',
          cwd: '../examples/csr',
          url: CSR_URL,
          reuseExistingServer: !process.env.CI,
          timeout: 300_000,
        },
      ],
});

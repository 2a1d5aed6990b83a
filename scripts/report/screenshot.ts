// npm run report:screenshot -- out/report.html docs/report.png [--width 1280]
// A full-page PNG of a report, made by the same headless Chromium the report's browser test uses.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from './chromium';

export async function screenshotReport(htmlFile: string, pngFile: string, width = 1280): Promise<void> {
  if (!existsSync(htmlFile)) throw new Error(`no such report: ${htmlFile}`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(resolve(htmlFile)).href, { waitUntil: 'load' });
    mkdirSync(dirname(resolve(pngFile)), { recursive: true });
    await page.screenshot({ path: pngFile, fullPage: true });
  } finally {
    await browser.close();
  }
}

const USAGE = 'usage: npm run report:screenshot -- REPORT.html OUT.png [--width PX]';

async function main(argv: string[]): Promise<void> {
  const widthAt = argv.indexOf('--width');
  const width = widthAt >= 0 ? Number(argv[widthAt + 1]) : 1280;
  const files = widthAt >= 0 ? argv.filter((_, i) => i !== widthAt && i !== widthAt + 1) : argv;
  if (files.length !== 2 || !Number.isInteger(width) || width < 320) {
    console.error(USAGE);
    process.exit(2);
  }
  await screenshotReport(files[0]!, files[1]!, width);
  console.log(`wrote ${resolve(files[1]!)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`report:screenshot: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

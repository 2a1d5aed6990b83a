// npm run report:screenshot -- out/report.html docs/report.png [--width 1280] [--height PX]
// A full-page PNG of a report (or its top PX: the charts come first), made by the same headless
// Chromium the report's browser test uses.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from './chromium';

export async function screenshotReport(
  htmlFile: string,
  pngFile: string,
  width = 1280,
  height?: number,
): Promise<void> {
  if (!existsSync(htmlFile)) throw new Error(`no such report: ${htmlFile}`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(resolve(htmlFile)).href, { waitUntil: 'load' });
    mkdirSync(dirname(resolve(pngFile)), { recursive: true });
    await page.screenshot({
      path: pngFile,
      fullPage: true,
      ...(height ? { clip: { x: 0, y: 0, width, height } } : {}),
    });
  } finally {
    await browser.close();
  }
}

const USAGE = 'usage: npm run report:screenshot -- REPORT.html OUT.png [--width PX] [--height PX]';

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? Number(argv[at + 1]) : undefined;
  };
  const width = flag('--width') ?? 1280;
  const height = flag('--height');
  const files = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const bad = (n: number | undefined) => n !== undefined && (!Number.isInteger(n) || n < 320);
  if (files.length !== 2 || bad(width) || bad(height)) {
    console.error(USAGE);
    process.exit(2);
  }
  await screenshotReport(files[0]!, files[1]!, width, height);
  console.log(`wrote ${resolve(files[1]!)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`report:screenshot: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

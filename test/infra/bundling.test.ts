// Real assets, as `cdk synth` stages them: one real job handler bundled by the local esbuild (no Docker)
// and loaded as the Lambda runtime would load it, and the bridge's Docker build context.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { JOBS } from '#lib/jobs-table';
import { buildTestApp, logicalId, removeTestOutputs } from './support';

afterAll(removeTestOutputs);

let outdir: string;
let template: Template;
let monitorFunctionId: string;

beforeAll(() => {
  const built = buildTestApp({
    bundle: true,
    // monitor only, with its real entry: one esbuild run keeps this file quick.
    stack: { jobs: JOBS.filter((spec) => spec.name === 'monitor'), entryOverride: undefined },
  });
  outdir = built.outdir;
  template = Template.fromStack(built.stack);
  monitorFunctionId = logicalId(built.stack.jobs.deployed.get('monitor')!.fn);
}, 120_000);

describe('job bundle', () => {
  const bundleDir = () => {
    const fn = template.toJSON().Resources[monitorFunctionId] as { Properties: { Code: { S3Key: string } } };
    return join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  };

  it('is one minified ESM file with a source map', () => {
    const files = readdirSync(bundleDir()).sort();
    expect(files).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(bundleDir(), 'index.mjs'), 'utf8');
    // Minified: far fewer lines than characters would allow for formatted code.
    expect(code.split('\n').length).toBeLessThan(code.length / 1000);
    expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
  });

  it('loads as an ES module and exports the handler Lambda calls (index.handler)', async () => {
    const loaded = (await import(pathToFileURL(join(bundleDir(), 'index.mjs')).href)) as Record<
      string,
      unknown
    >;
    expect(typeof loaded.handler).toBe('function');
    const fn = template.toJSON().Resources[monitorFunctionId] as { Properties: { Handler: string } };
    expect(fn.Properties.Handler).toBe('index.handler');
  });
});

describe('bridge image asset', () => {
  it('is staged at synth (no Docker) as an arm64 build of Dockerfile.bridge (the default gatewayArch)', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'IbOptionsIncome.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; dockerFile: string; platform?: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]!.source.dockerFile).toBe('gateway-container/Dockerfile.bridge');
    expect(images[0]!.source.platform).toBe('linux/arm64');
  });

  it('holds what Dockerfile.bridge copies and nothing else', () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'IbOptionsIncome.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string } }>;
    };
    const context = join(outdir, Object.values(manifest.dockerImages)[0]!.source.directory);
    expect(readdirSync(context).sort()).toEqual([
      'functions',
      'gateway-container',
      'package-lock.json',
      'package.json',
      'tsconfig.json',
    ]);
    expect(readdirSync(join(context, 'gateway-container')).sort()).toEqual(['Dockerfile.bridge', 'bridge']);
    expect(readdirSync(join(context, 'functions'))).toEqual(['core']);
    expect(existsSync(join(context, 'gateway-container', 'bridge', 'main.ts'))).toBe(true);
    // Every COPY source of the Dockerfile is in the context.
    const dockerfile = readFileSync(join(context, 'gateway-container', 'Dockerfile.bridge'), 'utf8');
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      m[1]!.split(/\s+/),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(join(context, source)), source).toBe(true);
  });

  it('bundles from the context alone as Dockerfile.bridge does: every # alias resolves from its package.json', async () => {
    const manifest = JSON.parse(readFileSync(join(outdir, 'IbOptionsIncome.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string } }>;
    };
    const context = join(outdir, Object.values(manifest.dockerImages)[0]!.source.directory);
    // npm packages come from `npm ci` in the image; here they stay external, so only our own files count.
    const result = await build({
      absWorkingDir: context,
      entryPoints: ['gateway-container/bridge/main.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => file.startsWith('functions/core/'))).toBe(true);
    expect(
      inputs.every(
        (file) => file.startsWith('gateway-container/bridge/') || file.startsWith('functions/core/'),
      ),
    ).toBe(true);
    expect(result.outputFiles[0]!.text).not.toMatch(/from ["']#/);
  });
});

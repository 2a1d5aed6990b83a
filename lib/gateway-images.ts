// The task's container images: the IB Gateway image pinned by tag and digest, the bridge's base images
// pinned likewise, the architectures Fargate runs them on, and the bridge image asset with its build
// context cut to what Dockerfile.bridge copies.
import { readdirSync, readFileSync } from 'node:fs';
import { IgnoreMode } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { REPO_ROOT, repoPath } from './paths';

export const IB_GATEWAY_REPOSITORY = 'ghcr.io/gnzsnz/ib-gateway';

const FLOATING_TAGS = new Set(['latest', 'stable', 'lts', 'current']);
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Why `tag[@digest]` is not a pinned image reference, or undefined when it is. */
function unpinned(tagAndDigest: string, requireDigest: boolean): string | undefined {
  const [tag = '', digest] = tagAndDigest.split('@');
  if (!tag || FLOATING_TAGS.has(tag)) return `a floating tag (${tag || 'none'})`;
  if (digest !== undefined && !DIGEST.test(digest)) return `a malformed digest (${digest})`;
  if (requireDigest && digest === undefined) return 'no digest (@sha256:…)';
  return undefined;
}

/**
 * The IB Gateway image, at the tag pinned once in gateway-container/Dockerfile.gateway
 * (`ARG IB_GATEWAY_TAG=<version>` or `<version>@sha256:<digest>`), so the image deployed is the one built
 * and tested locally. The digest is accepted but not required: the gnzsnz image's digests are published
 * only by its registry, so none could be verified offline for 10.45.1j (see the Dockerfile).
 */
export function ibGatewayImage(dockerfile = repoPath('gateway-container', 'Dockerfile.gateway')): string {
  const match = /^ARG\s+IB_GATEWAY_TAG=(\S+)\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
  const problem = unpinned(match?.[1] ?? '', false);
  if (problem) throw new Error(`${dockerfile} must pin ARG IB_GATEWAY_TAG to a version: found ${problem}`);
  return `${IB_GATEWAY_REPOSITORY}:${match![1]!}`;
}

/**
 * The registry images Dockerfile.bridge builds FROM (its own stages excluded), each required to carry a
 * digest: a rebuilt `node:22-…` tag would otherwise change the bridge under a deploy nobody reviewed. Runs
 * at synth, so `cdk synth` fails on an unpinned base image.
 */
export function bridgeBaseImages(dockerfile = repoPath('gateway-container', 'Dockerfile.bridge')): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const [, image = '', stage] of readFileSync(dockerfile, 'utf8').matchAll(
    /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/gim,
  )) {
    if (!stages.has(image)) {
      const at = image.indexOf(':');
      const problem = at < 0 ? 'no tag' : unpinned(image.slice(at + 1), true);
      if (problem) throw new Error(`${dockerfile}: FROM ${image} is not pinned: ${problem}`);
      images.push(image);
    }
    if (stage) stages.add(stage);
  }
  return images;
}

export type GatewayArch = 'x86_64' | 'arm64';

/**
 * Each architecture as Fargate and Docker name it. arm64 (Graviton) costs about 20 % less per vCPU-hour
 * and GB-hour. The gnzsnz image publishes both: its release workflow (.github/workflows/publish.yml at
 * tag v10.45.1j-stable, commit c147d206b8d5d8cd329feced09f02a9df61e84cc) builds `platforms:
 * linux/amd64,linux/arm64` and tags the result 10.45.1j, and its stable/Dockerfile installs IB's own
 * `ibgateway-…-standalone-linux-arm.sh` on aarch64 (arm64 published since eb345cd, Aug 2025).
 */
export const GATEWAY_PLATFORMS: Record<
  GatewayArch,
  { cpuArchitecture: ecs.CpuArchitecture; dockerPlatform: Platform }
> = {
  x86_64: { cpuArchitecture: ecs.CpuArchitecture.X86_64, dockerPlatform: Platform.LINUX_AMD64 },
  arm64: { cpuArchitecture: ecs.CpuArchitecture.ARM64, dockerPlatform: Platform.LINUX_ARM64 },
};

/**
 * The bridge image from gateway-container/Dockerfile.bridge, repository root as the build context. Synth
 * only stages the context (no Docker needed); `cdk deploy` builds and pushes it (Docker needed then, or
 * pass `-c bridgeImage=...`).
 */
export function bridgeImageAsset(arch: GatewayArch): ecs.ContainerImage {
  bridgeBaseImages();
  return ecs.ContainerImage.fromAsset(REPO_ROOT, {
    file: 'gateway-container/Dockerfile.bridge',
    platform: GATEWAY_PLATFORMS[arch].dockerPlatform,
    ignoreMode: IgnoreMode.DOCKER,
    exclude: bridgeContextExcludes(),
  });
}

/**
 * Everything but what Dockerfile.bridge copies, so an edit elsewhere (README, tests, Lambda code) changes
 * neither the asset hash nor the image. Listed by name rather than as `**` plus `!` exceptions: with
 * exceptions the fingerprint walks all of node_modules, which costs a synth about 15 seconds.
 */
export function bridgeContextExcludes(): string[] {
  const keepAtRoot = new Set([
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'gateway-container',
    'functions',
  ]);
  const keepInGatewayContainer = new Set(['Dockerfile.bridge', 'bridge']);
  return [
    ...readdirSync(REPO_ROOT).filter((name) => !keepAtRoot.has(name)),
    // the bridge imports the core's accountMode (one paper rule with the jobs); nothing else of functions/
    ...readdirSync(repoPath('functions'))
      .filter((name) => name !== 'core')
      .map((name) => `functions/${name}`),
    ...readdirSync(repoPath('gateway-container'))
      .filter((name) => !keepInGatewayContainer.has(name))
      .map((name) => `gateway-container/${name}`),
  ];
}

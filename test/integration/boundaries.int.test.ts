// The import boundaries of DESIGN.md, checked through the real linter configuration.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['lib/identity/x.ts', "import { a } from '../../operator/kube/client.ts';\nexport const b = a;\n", 'lib/ is a leaf'],
    ['lib/identity/x.ts', "import { a } from '../../sidecar/gateway.ts';\nexport const b = a;\n", 'lib/ is a leaf'],
    ['lib/identity/x.ts', "import { request } from 'undici';\nexport const b = request;\n", 'adapters'],
    ['sidecar/gateway/x.ts', "import { a } from '../../operator/main.ts';\nexport const b = a;\n", 'sidecar/ never imports operator/'],
    ['operator/controllers/x.ts', "import { a } from '../../sidecar/main.ts';\nexport const b = a;\n", 'operator/ never imports sidecar/'],
    ['sidecar/x.ts', "import { KubeConfig } from '@kubernetes/client-node';\nexport const b = KubeConfig;\n", 'operator/kube'],
  ])('refuses %s importing across a boundary', async (file, code, why) => {
    const messages = await restrictedImports(file, code);
    expect(messages.join('\n')).toContain(why);
  });

  it.each([
    ['sidecar/x.ts', "import { AppError } from '../lib/errors/index.ts';\nexport const b = AppError;\n"],
    ['operator/x.ts', "import { AppError } from '../lib/errors/index.ts';\nexport const b = AppError;\n"],
  ])('allows %s to import lib/', async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([]);
  });
});

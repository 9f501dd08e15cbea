/**
 * Model discovery on fake stores built in a temp folder, one per layout: Ollama (manifests → blobs),
 * LM Studio (publisher/repository/*.gguf), the Hugging Face hub cache (snapshots with symlinks to
 * blobs; an ONNX export and a GGUF repository), a user folder, models picked before and the embedded
 * model. The GGUF files are real (copies of the embedded model's), so names, sizes and quantisations
 * come from their headers.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSearchPaths, describeModel, discoverModels, folderModels, formatSize, huggingFaceModels, lmStudioModels, ollamaModels, type DiscoveredModel } from '../../../src/model/discovery';
import { repoPath } from '../helpers';

const embedded = repoPath('media/models/reasoning-lens-tiny');
const q8 = join(embedded, 'reasoning-lens-tiny-Q8_0.gguf');
const f32 = join(embedded, 'reasoning-lens-tiny-F32.gguf');

function mk(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

describe('model discovery', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'rl-stores-'));
    // Ollama: two tags of one model share a blob; one manifest points at a missing blob; a stray file.
    const ollama = mk(join(root, 'ollama'));
    const hex = 'a'.repeat(64);
    copyFileSync(q8, join(mk(join(ollama, 'blobs')), `sha256-${hex}`));
    writeFileSync(join(ollama, 'blobs', `sha256-${'c'.repeat(64)}`), '{"model_format":"gguf"}');
    const manifest = (digest: string): string => JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 23 },
      layers: [
        { mediaType: 'application/vnd.ollama.image.model', digest, size: 2696096 },
        { mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'d'.repeat(64)}`, size: 10 },
      ],
    });
    writeFileSync(join(mk(join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'tiny')), 'latest'), manifest(`sha256:${hex}`));
    writeFileSync(join(mk(join(ollama, 'manifests', 'registry.ollama.ai', 'someone', 'tiny-r1')), 'q8_0'), manifest(`sha256:${hex}`));
    writeFileSync(join(mk(join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'gone')), 'latest'), manifest(`sha256:${'b'.repeat(64)}`));
    writeFileSync(join(ollama, 'manifests', 'registry.ollama.ai', 'library', 'tiny', 'not-json'), 'garbage');
    // LM Studio: publisher/repository/file.gguf, plus a vision projector and a text file.
    const lms = mk(join(root, 'lmstudio', 'lmstudio-community', 'Tiny-GGUF'));
    copyFileSync(f32, join(lms, 'Tiny-F32.gguf'));
    copyFileSync(q8, join(lms, 'mmproj-Tiny-Q8_0.gguf'));
    writeFileSync(join(lms, 'README.md'), '# hi');
    // Hugging Face hub cache: blobs + snapshots with relative symlinks, refs/main.
    const hub = mk(join(root, 'hub'));
    const onnxRepo = mk(join(hub, 'models--onnx-community--Tiny-ONNX'));
    writeFileSync(join(mk(join(onnxRepo, 'refs')), 'main'), 'rev1\n');
    const blobs = mk(join(onnxRepo, 'blobs'));
    const snap = mk(join(onnxRepo, 'snapshots', 'rev1', 'onnx'));
    for (const [name, src] of [['config.json', join(embedded, 'config.json')], ['tokenizer.json', join(embedded, 'tokenizer.json')], ['onnx/model.onnx', join(embedded, 'onnx', 'model.onnx')]] as const) {
      const blob = join(blobs, name.replace('/', '_'));
      copyFileSync(src, blob);
      symlinkSync(join('..', '..', name.includes('/') ? '../blobs' : 'blobs', name.replace('/', '_')), join(onnxRepo, 'snapshots', 'rev1', name));
    }
    writeFileSync(join(snap, 'model_q4.onnx'), Buffer.alloc(1234));
    const ggufRepo = mk(join(hub, 'models--someone--Tiny-GGUF', 'snapshots', 'abc'));
    copyFileSync(q8, join(ggufRepo, 'tiny-q8_0.gguf'));
    mk(join(hub, 'datasets--x--y', 'snapshots', 'r'));
    // A folder of the user's with models one and two levels down, and a broken .gguf.
    const mine = mk(join(root, 'mine'));
    copyFileSync(q8, join(mk(join(mine, 'a')), 'one.gguf'));
    writeFileSync(join(mk(join(mine, 'b', 'c')), 'broken.gguf'), 'not gguf');
    copyFileSync(f32, join(mine, 'b', 'c', 'two.gguf'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('Ollama: manifests lead to GGUF blobs; names as `ollama list` shows them', () => {
    const found = ollamaModels(join(root, 'ollama'));
    assert.deepEqual(found.map((m) => m.name).sort(), ['someone/tiny-r1:q8_0', 'tiny:latest']);
    for (const m of found) {
      assert.equal(m.format, 'gguf');
      assert.equal(m.quantization, 'Q8_0');
      assert.equal(m.architecture, 'llama');
      assert.equal(m.sizeBytes, 2696096);
      assert.match(m.path, /blobs[/\\]sha256-a{64}$/);
    }
    assert.deepEqual(ollamaModels(join(root, 'nowhere')), []);
  });

  test('LM Studio: publisher/repository/file, vision projectors left out', () => {
    const found = lmStudioModels(join(root, 'lmstudio'));
    assert.deepEqual(found.map((m) => [m.name, m.quantization]), [['lmstudio-community/Tiny-GGUF/Tiny-F32', 'F32']]);
  });

  test('Hugging Face cache: each ONNX file of an export, and GGUF repositories', () => {
    const found = huggingFaceModels(join(root, 'hub'));
    const onnx = found.filter((m) => m.format === 'onnx');
    assert.deepEqual(onnx.map((m) => [m.name, m.variant, m.quantization]), [['onnx-community/Tiny-ONNX', 'model', 'fp32'], ['onnx-community/Tiny-ONNX', 'model_q4', 'q4']]);
    assert.ok(onnx[0]!.sizeBytes > 9e6, `size ${onnx[0]!.sizeBytes} follows the symlink to the blob`);
    assert.ok(onnx[0]!.path.endsWith(join('snapshots', 'rev1')));
    const gguf = found.filter((m) => m.format === 'gguf');
    assert.deepEqual(gguf.map((m) => [m.name, m.quantization]), [['someone/Tiny-GGUF/tiny-q8_0', 'Q8_0']]);
  });

  test('user folders: models one and two levels down; broken files skipped', () => {
    const found = folderModels(join(root, 'mine'));
    assert.deepEqual(found.map((m) => [m.name, m.quantization]).sort(), [['a/one', 'Q8_0'], ['b/c/two', 'F32']]);
  });

  test('everything at once: embedded first, picked-before next, duplicates once, errors reported', () => {
    const errors: string[] = [];
    const all = discoverModels({
      embeddedDir: embedded,
      recent: [join(root, 'mine', 'a', 'one.gguf'), join(root, 'missing.gguf')],
      paths: { ollama: [join(root, 'ollama')], lmStudio: [join(root, 'lmstudio')], huggingFace: [join(root, 'hub')], folders: [join(root, 'mine')] },
      onError: (where) => errors.push(where),
    });
    const key = (m: DiscoveredModel): string => `${m.source}:${m.name}`;
    assert.deepEqual(all.slice(0, 4).map(key), ['embedded:reasoning-lens-tiny', 'embedded:reasoning-lens-tiny/reasoning-lens-tiny-F32', 'embedded:reasoning-lens-tiny/reasoning-lens-tiny-Q8_0', 'recent:one']);
    assert.equal(all.filter((m) => m.name === 'one').length, 1, 'the folder scan does not list the recent file again');
    assert.ok(all.some((m) => m.source === 'ollama'));
    assert.ok(all.some((m) => m.source === 'lmstudio'));
    assert.ok(all.some((m) => m.source === 'huggingface'));
    assert.deepEqual(errors, []);
    assert.equal(describeModel(all[0]!), 'ONNX · fp32 · 9.8 MB');
    assert.equal(describeModel(all[2]!), 'GGUF · Q8_0 · llama · 2.7 MB');
  });

  test('default search paths follow OLLAMA_MODELS, HF_HUB_CACHE and HF_HOME', () => {
    const d = defaultSearchPaths({}, '/home/u');
    assert.ok(d.ollama.includes(join('/home/u', '.ollama', 'models')));
    assert.deepEqual(d.lmStudio, [join('/home/u', '.lmstudio', 'models'), join('/home/u', '.cache', 'lm-studio', 'models')]);
    assert.deepEqual(d.huggingFace, [join('/home/u', '.cache', 'huggingface', 'hub')]);
    assert.deepEqual(defaultSearchPaths({ OLLAMA_MODELS: '/data/ollama', HF_HOME: '/data/hf' }, '/home/u').ollama, ['/data/ollama']);
    assert.deepEqual(defaultSearchPaths({ HF_HOME: '/data/hf' }, '/home/u').huggingFace, [join('/data/hf', 'hub')]);
    assert.deepEqual(defaultSearchPaths({ HF_HUB_CACHE: '/c', HF_HOME: '/data/hf' }, '/home/u').huggingFace, ['/c']);
    assert.equal(formatSize(1_500_000_000), '1.5 GB');
    assert.equal(formatSize(145_000_000), '145 MB');
  });
});

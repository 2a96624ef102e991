// The playground is served by the textisur binary under /playground/ (see
// api/src/http/playground.rs), so every URL in the bundle starts there.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defineConfig } from 'vite';

// Writes `name.gz` beside every asset that gzip shrinks by a tenth or more; the server sends
// it to browsers that accept gzip, so it never compresses at run time (and nobody can make it
// do so on demand). gzip's header carries no timestamp here: builds stay reproducible.
// Runs once the files are written: only then is every chunk's code final.
function precompress() {
  return {
    name: 'textisur-precompress',
    apply: 'build',
    enforce: 'post',
    writeBundle({ dir }) {
      const assets = join(dir, 'assets');
      for (const name of readdirSync(assets)) {
        if (name.endsWith('.gz')) continue;
        const bytes = readFileSync(join(assets, name));
        const gzipped = gzipSync(bytes, { level: 9 });
        if (bytes.length < 1024 || gzipped.length > bytes.length * 0.9) continue;
        writeFileSync(join(assets, `${name}.gz`), gzipped);
      }
    },
  };
}

// GraphiQL, its explorer and Monaco link to their own sites (the logo, the shortcut help,
// "by OneGraph"). On a locked-down network those lead nowhere, and they would be the only
// way off this host from the page: keep the text, drop the href.
function noExternalLinks() {
  const href = /\bhref:\s*(["'])https?:\/\/[^"']*\1/g;
  return {
    name: 'textisur-no-external-links',
    transform(code, id) {
      if (!id.includes('/node_modules/') || !code.includes('href')) return null;
      const stripped = code.replace(href, 'href: undefined');
      return stripped === code ? null : { code: stripped, map: null };
    },
  };
}

export default defineConfig({
  base: '/playground/',
  plugins: [noExternalLinks(), precompress()],
  // License comments name project home pages; they are not requests, but keeping absolute
  // URLs out of the bundle keeps the no-other-host test meaningful. Licenses: node_modules.
  esbuild: { legalComments: 'none', jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Monaco alone is larger than Vite's default warning threshold.
    chunkSizeWarningLimit: 6000,
    // No inline assets: `data:` stays for what Monaco makes at run time.
    assetsInlineLimit: 0,
    // The polyfill is for browsers without <link rel=modulepreload>; GraphiQL 5 needs newer.
    modulePreload: { polyfill: false },
    rollupOptions: {
      onwarn(warning, warn) {
        // React libraries mark modules "use client"; meaningless in a client-only bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  worker: { format: 'es' },
});

// Builds the game-day console's page (index.html + src/) into console/dist, which `chatquake up`
// serves and the package ships: relative asset paths (base './') so it works under any mount
// point, everything bundled so the page needs no network beyond its own origin.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
  },
});

import { fileURLToPath } from 'node:url';
import { build, defineConfig, type InlineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * /widget.js runs on other people's sites from a plain <script> tag: one self-contained classic
 * script (IIFE), no chunks, no CSS file, a stable name (no hash) so the snippet never changes.
 */
export const widgetBuild: InlineConfig = {
  configFile: false,
  root: here('web/widget'),
  logLevel: 'warn',
  build: {
    outDir: here('web/dist'),
    emptyOutDir: false,
    target: 'es2020',
    lib: { entry: here('web/widget/main.ts'), formats: ['iife'], name: 'WirehubWidget', fileName: () => 'widget.js' },
  },
};

// The portal build empties web/dist first; the widget is built into it afterwards, so one
// `vite build` (and `npm start`'s build-if-needed) produces both.
function widget(): Plugin {
  return {
    name: 'wirehub-widget',
    apply: 'build',
    async closeBundle() {
      await build(widgetBuild);
    },
  };
}

export default defineConfig({
  root: 'web',
  plugins: [react(), widget()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    // `npm run dev` for the portal: the API runs on 3000 and Vite proxies to it.
    proxy: { '/api': 'http://127.0.0.1:3000', '/e': 'http://127.0.0.1:3000', '/docs': 'http://127.0.0.1:3000' },
  },
});

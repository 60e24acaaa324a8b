import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    // `npm run dev` for the portal: the API runs on 3000 and Vite proxies to it.
    proxy: { '/api': 'http://127.0.0.1:3000', '/e': 'http://127.0.0.1:3000' },
  },
});

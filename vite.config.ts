import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web UI: a single-page app built into dist/web and served by the API process at `/`.
export default defineConfig({
  root: 'src/web',
  base: '/',
  plugins: [react()],
  build: { outDir: '../../dist/web', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});

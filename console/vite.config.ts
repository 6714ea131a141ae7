import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Served by the API at /console/ (citizen_api/blueprints/console.py); `npm run dev` proxies the API.
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': 'http://127.0.0.1:8000', '/docs': 'http://127.0.0.1:8000' } },
})

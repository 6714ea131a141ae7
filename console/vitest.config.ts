import { defineConfig } from 'vitest/config'

// Unit tests cover the console's logic modules (src/lib, src/auth, src/i18n); pages are covered by the
// browser tests against the real backend (tests/browser).
export default defineConfig({
  test: { environment: 'jsdom', include: ['tests/unit/**/*.spec.ts'] },
})

// ESLint over the JS (recommended rules) and the WXML templates (eslint-plugin-wxml with its parser).
const js = require('@eslint/js')
const globals = require('globals')
const wxml = require('eslint-plugin-wxml')
const wxmlParser = require('@wxml/parser')

const miniprogramGlobals = { wx: 'readonly', App: 'readonly', Page: 'readonly', Component: 'readonly', Behavior: 'readonly', getApp: 'readonly', getCurrentPages: 'readonly' }

module.exports = [
  { ignores: ['node_modules/**', 'app/miniprogram_npm/**', 'coverage/**'] },
  {
    files: ['app/**/*.js'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2020, sourceType: 'commonjs', globals: { ...globals.commonjs, ...miniprogramGlobals, console: 'readonly', setTimeout: 'readonly' } },
    rules: { ...js.configs.recommended.rules, 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
  {
    files: ['scripts/**/*.js', 'tests/**/*.js', '*.js'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: { ...globals.node, ...globals.jest, ...miniprogramGlobals, document: 'readonly' } },
    rules: { ...js.configs.recommended.rules, 'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
  {
    files: ['app/**/*.wxml'],
    plugins: { wxml },
    languageOptions: { parser: wxmlParser },
    rules: {
      'wxml/no-duplicate-attributes': 'error',
      'wxml/no-unexpected-string-bool': 'error',
      'wxml/wx-key': 'error',
      'wxml/no-wx-for-with-wx-if': 'error',
      'wxml/no-inconsistent-tagname': 'error',
      'wxml/empty-tag-self-closing': 'error',
      'wxml/no-vue-directive': 'error',
      'wxml/no-dot-this-in-wx-key': 'error',
      'wxml/report-wxml-syntax-error': 'error',
      'wxml/report-interpolation-error': 'error',
    },
  },
]

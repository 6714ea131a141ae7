import { describe, expect, it } from 'vitest'
import zh_CN from '../../src/i18n/zh_CN'
import en from '../../src/i18n/en'

function keys(node: unknown, prefix = ''): string[] {
  if (typeof node !== 'object' || node === null) return [prefix]
  return Object.entries(node).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k))
}

describe('messages', () => {
  it('zh_CN and en have the same keys', () => {
    expect(keys(en).sort()).toEqual(keys(zh_CN).sort())
  })
  it('have no empty text', () => {
    for (const catalogue of [zh_CN, en]) {
      for (const key of keys(catalogue)) {
        const value = key.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], catalogue)
        expect(String(value).trim(), key).not.toBe('')
      }
    }
  })
})

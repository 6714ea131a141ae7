// zh_CN (default) and en, like the backend's locales; the choice is kept in localStorage.
import { createI18n } from 'vue-i18n'
import zh_CN from './zh_CN'
import en from './en'

export type Locale = 'zh_CN' | 'en'
const KEY = 'citizen-console-locale'

function initial(): Locale {
  const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(KEY)
  return saved === 'en' ? 'en' : 'zh_CN'
}

export const i18n = createI18n({ legacy: false, locale: initial(), fallbackLocale: 'zh_CN', messages: { zh_CN, en } })

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem(KEY, locale)
  document.documentElement.lang = locale === 'en' ? 'en' : 'zh-CN'
}

export const messages = { zh_CN, en }

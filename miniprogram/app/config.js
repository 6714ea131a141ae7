// Where the backend is. The default suits WeChat DevTools against `make run` on the same machine (tick
// "不校验合法域名" in DevTools' local settings); a phone or a deployment sets its own base URL: either edit this
// default or store one with wx.setStorageSync('citizen.api_base', 'https://...') (the tests do that).
const DEFAULT_API_BASE = 'http://127.0.0.1:8000'

/** The backend's base URL, without a trailing slash. */
function apiBase() {
  const stored = wx.getStorageSync('citizen.api_base')
  return String(stored || DEFAULT_API_BASE).replace(/\/$/, '')
}

/** Subscribe-message templates asked for at the moments they make sense (template ids from the WeChat console). */
const SUBSCRIBE_TEMPLATES = {
  booking: ['TPL_BOOKING_CONFIRMED'],
  case: ['TPL_CASE_STATUS'],
  report: ['TPL_REPORT_STATUS'],
  // 紧急呼叫: the backend's CITIZEN_WECHAT_EMERGENCY_TEMPLATE (the caller, or the family member calling for a parent)
  emergency: ['TPL_CARE_SOS'],
}

module.exports = { apiBase, DEFAULT_API_BASE, SUBSCRIBE_TEMPLATES }

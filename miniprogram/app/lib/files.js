// Picking files: photos with wx.chooseMedia (camera or album), documents with wx.chooseMessageFile (a file
// sent in a chat). Both resolve with local paths for wx.uploadFile, or [] when the user cancels.

/** @param {number} count @returns {Promise<string[]>} */
function choosePhotos(count = 1) {
  return new Promise((resolve) => {
    wx.chooseMedia({
      count,
      mediaType: ['image'],
      sourceType: ['camera', 'album'],
      sizeType: ['compressed'],
      success: (res) => resolve(res.tempFiles.map((f) => f.tempFilePath)),
      fail: () => resolve([]),
    })
  })
}

/** @param {number} count @returns {Promise<string[]>} */
function chooseDocuments(count = 1) {
  return new Promise((resolve) => {
    wx.chooseMessageFile({
      count,
      type: 'file',
      extension: ['pdf', 'jpg', 'jpeg', 'png'],
      success: (res) => resolve(res.tempFiles.map((f) => f.path)),
      fail: () => resolve([]),
    })
  })
}

module.exports = { choosePhotos, chooseDocuments }

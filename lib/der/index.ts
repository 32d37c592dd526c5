// DER for X.509, PKCS#10 and CMS: a strict zero-copy reader and a two-pass writer, shared by
// lib/identity and lib/envelope (docs/adr/0002, docs/adr/0004).
export { DerError } from './der-error.ts';
export { TAG, CONSTRUCTED } from './tag.ts';
export {
  DerCursor, MAX_CHILDREN, MAX_OID_BYTES, asBuffer, bytesOf, children, contentOf, decodeOid, expectTag, isEncoding, oidKey,
  readBitString, readBoolean, readElement, readOid, readSmallInt, readTime, readWhole, soleChild, type DerElement,
} from './reader.ts';
export {
  NULL, TRUE, algorithm, bitString, ctx, encode, headerSize, integer, node, octets, oid, prim, retag, seq, set, setOf, time,
  unsignedInteger, utf8, writeHeader, type DerNode, type DerPart,
} from './writer.ts';

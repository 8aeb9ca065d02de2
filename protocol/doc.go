// Package protocol implements the wire format of the Hazelcast open binary
// client protocol (version 2.x): the "CP2" preamble, frames, messages made of
// frames, fragment reassembly, and the primitive encodings that generated
// codecs build on.
//
// # Wire format (all integers little-endian unless stated)
//
// A connection starts with the 3-byte preamble "CP2" sent by the client. After
// that both sides exchange messages. A message is a sequence of frames:
//
//	+----------------+-------------+------------------------+
//	| length int32   | flags uint16| content (length-6)     |
//	+----------------+-------------+------------------------+
//
// length counts the 6-byte header. The last frame of a message carries
// IsFinal. The first ("initial") frame of a message holds the fixed-size
// fields:
//
//	request:  type int32 @0, correlation id int64 @4, partition id int32 @12, params @16
//	response: type int32 @0, correlation id int64 @4, backup acks uint8 @12,  params @13
//	event:    type int32 @0, correlation id int64 @4, partition id int32 @12, params @16
//
// Variable-size fields follow as their own frames: a string or byte array is
// one frame, a nullable value may be a frame with IsNull, and compound values
// are bracketed by BeginDataStructure and EndDataStructure frames.
//
// # Buffers and ownership
//
// [Scanner] finds complete messages in a connection's input buffer without
// copying. A [Message] is a contiguous byte slice of whole frames; frames
// handed out by an [Iterator] alias that slice, so a decoded value is valid as
// long as the message buffer is. [Writer] appends frames to a caller-supplied
// buffer and never allocates beyond growing it.
//
// Everything in this package is wire format: the constants must not change.
package protocol

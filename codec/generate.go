package codec

// Regenerate the codecs from the protocol definitions checked out beside the
// repository (FILBERT_PROTOCOL_DEFS overrides the path):
//
//go:generate go run ./gen -defs ../../shared/protocol-definitions -out .

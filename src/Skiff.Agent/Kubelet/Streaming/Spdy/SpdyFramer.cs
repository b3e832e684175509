using System.Buffers.Binary;

namespace Skiff.Agent.Kubelet.Streaming.Spdy;

/// <summary>
/// Reads and writes SPDY/3.1 frames (draft 3.1 §2.2): control frames carry version 3, a type, flags and a 24-bit length;
/// data frames carry a 31-bit stream id, flags and a 24-bit length. Header blocks go through one <see cref="SpdyHeaderCodec"/>
/// per direction of the connection, so reads must be sequential and writes encoded in the order they are sent.
/// </summary>
internal sealed class SpdyFramer
{
    public const int Version = 3;

    /// <summary>Frames larger than this are refused: no peer of ours sends more than a few KB at once.</summary>
    public const int MaxFrameLength = 1 << 20;

    private readonly SpdyHeaderCodec _readCodec = new();
    private readonly SpdyHeaderCodec _writeCodec = new();
    private readonly byte[] _header = new byte[8];

    /// <summary>The next frame, or null at the end of <paramref name="input"/>. Unknown control frame types are skipped.</summary>
    public async ValueTask<SpdyFrame?> ReadFrameAsync(Stream input, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!await ReadExactlyOrEndAsync(input, _header, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            var flags = _header[4];
            var length = (_header[5] << 16) | (_header[6] << 8) | _header[7];
            if (length > MaxFrameLength)
            {
                throw new InvalidDataException("SPDY frame of " + length + " bytes is too large");
            }
            var payload = new byte[length];
            await input.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
            if ((_header[0] & 0x80) == 0)
            {
                var streamId = BinaryPrimitives.ReadInt32BigEndian(_header) & 0x7FFFFFFF;
                return new SpdyFrame(SpdyFrameType.Data, streamId, flags) { Payload = payload };
            }
            var version = ((_header[0] & 0x7F) << 8) | _header[1];
            if (version != Version)
            {
                throw new InvalidDataException("SPDY version " + version + " is not supported");
            }
            var frame = DecodeControl((SpdyFrameType)((_header[2] << 8) | _header[3]), flags, payload);
            if (frame is not null)
            {
                return frame;
            }
        }
    }

    /// <summary>The wire bytes of <paramref name="frame"/>; header blocks are compressed here, so call in send order.</summary>
    public byte[] Encode(SpdyFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Type == SpdyFrameType.Data)
        {
            var data = new byte[8 + frame.Payload.Length];
            BinaryPrimitives.WriteInt32BigEndian(data, frame.StreamId & 0x7FFFFFFF);
            WriteFlagsAndLength(data, frame.Flags, frame.Payload.Length);
            frame.Payload.Span.CopyTo(data.AsSpan(8));
            return data;
        }
        byte[] body;
        switch (frame.Type)
        {
            case SpdyFrameType.SynStream:
            {
                var block = _writeCodec.Compress(frame.Headers);
                body = new byte[10 + block.Length];
                BinaryPrimitives.WriteInt32BigEndian(body, frame.StreamId & 0x7FFFFFFF);
                BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), frame.AssociatedStreamId & 0x7FFFFFFF);
                body[8] = (byte)(frame.Priority << 5);
                block.CopyTo(body, 10);
                break;
            }
            case SpdyFrameType.SynReply or SpdyFrameType.Headers:
            {
                var block = _writeCodec.Compress(frame.Headers);
                body = new byte[4 + block.Length];
                BinaryPrimitives.WriteInt32BigEndian(body, frame.StreamId & 0x7FFFFFFF);
                block.CopyTo(body, 4);
                break;
            }
            case SpdyFrameType.RstStream or SpdyFrameType.GoAway or SpdyFrameType.WindowUpdate:
                body = new byte[8];
                BinaryPrimitives.WriteInt32BigEndian(body, frame.StreamId & 0x7FFFFFFF);
                BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(4), frame.Value);
                break;
            case SpdyFrameType.Ping:
                body = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(body, frame.Value);
                break;
            case SpdyFrameType.Settings:
                body = new byte[4];
                break;
            default:
                throw new ArgumentException("cannot encode SPDY frame type " + frame.Type, nameof(frame));
        }
        var bytes = new byte[8 + body.Length];
        bytes[0] = 0x80;
        bytes[1] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)frame.Type);
        WriteFlagsAndLength(bytes, frame.Flags, body.Length);
        body.CopyTo(bytes, 8);
        return bytes;
    }

    private SpdyFrame? DecodeControl(SpdyFrameType type, byte flags, byte[] payload)
    {
        switch (type)
        {
            case SpdyFrameType.SynStream:
                Require(payload, 10);
                return new SpdyFrame(type, StreamIdAt(payload, 0), flags)
                {
                    AssociatedStreamId = StreamIdAt(payload, 4),
                    Priority = (byte)(payload[8] >> 5),
                    Headers = _readCodec.Decompress(payload.AsSpan(10)),
                };
            case SpdyFrameType.SynReply or SpdyFrameType.Headers:
                Require(payload, 4);
                return new SpdyFrame(type, StreamIdAt(payload, 0), flags) { Headers = _readCodec.Decompress(payload.AsSpan(4)) };
            case SpdyFrameType.RstStream or SpdyFrameType.WindowUpdate:
                Require(payload, 8);
                return new SpdyFrame(type, StreamIdAt(payload, 0), flags)
                {
                    Value = BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)) & 0x7FFFFFFF,
                };
            case SpdyFrameType.GoAway:
                Require(payload, 4);
                return new SpdyFrame(type, StreamIdAt(payload, 0), flags)
                {
                    Value = payload.Length >= 8 ? BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)) : 0,
                };
            case SpdyFrameType.Ping:
                Require(payload, 4);
                return new SpdyFrame(type, 0, flags) { Value = BinaryPrimitives.ReadInt32BigEndian(payload) };
            case SpdyFrameType.Settings:
                return new SpdyFrame(type, 0, flags);
            default:
                // §2.2.1: a receiver ignores control frames of types it does not know.
                return null;
        }
    }

    private static int StreamIdAt(byte[] payload, int offset) => BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(offset)) & 0x7FFFFFFF;

    private static void Require(byte[] payload, int length)
    {
        if (payload.Length < length)
        {
            throw new InvalidDataException("SPDY control frame is truncated");
        }
    }

    private static void WriteFlagsAndLength(byte[] frame, byte flags, int length)
    {
        frame[4] = flags;
        frame[5] = (byte)(length >> 16);
        frame[6] = (byte)(length >> 8);
        frame[7] = (byte)length;
    }

    private static async ValueTask<bool> ReadExactlyOrEndAsync(Stream input, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = await input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return false;
        }
        if (read < buffer.Length)
        {
            throw new EndOfStreamException("SPDY frame header is truncated");
        }
        return true;
    }
}

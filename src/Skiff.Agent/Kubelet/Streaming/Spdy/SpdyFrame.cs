namespace Skiff.Agent.Kubelet.Streaming.Spdy;

/// <summary>SPDY/3.1 frame types; <see cref="Data"/> stands for the data frame, which has no type field on the wire.</summary>
internal enum SpdyFrameType
{
    Data = 0,
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
}

/// <summary>
/// One decoded SPDY/3.1 frame. Which members mean something depends on <see cref="Type"/>: <see cref="StreamId"/> is the
/// stream (or, for GOAWAY, the last good stream); <see cref="Value"/> is the RST_STREAM or GOAWAY status, the PING id or the
/// WINDOW_UPDATE delta; <see cref="Payload"/> is a data frame's bytes; <see cref="Headers"/> is the decompressed header
/// block of SYN_STREAM, SYN_REPLY and HEADERS, in wire order (a value may hold several NUL-separated values).
/// </summary>
internal sealed record SpdyFrame(SpdyFrameType Type, int StreamId, byte Flags)
{
    public const byte FlagFin = 0x01;
    public const byte FlagUnidirectional = 0x02;

    public ReadOnlyMemory<byte> Payload { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public int Value { get; init; }

    public int AssociatedStreamId { get; init; }

    public byte Priority { get; init; }

    public bool IsFin => (Flags & FlagFin) != 0;

    public static SpdyFrame Data(int streamId, ReadOnlyMemory<byte> payload, bool fin) =>
        new(SpdyFrameType.Data, streamId, fin ? FlagFin : (byte)0) { Payload = payload };

    public static SpdyFrame SynStream(int streamId, IReadOnlyList<KeyValuePair<string, string>> headers, bool fin = false) =>
        new(SpdyFrameType.SynStream, streamId, fin ? FlagFin : (byte)0) { Headers = headers };

    public static SpdyFrame SynReply(int streamId, IReadOnlyList<KeyValuePair<string, string>> headers, bool fin = false) =>
        new(SpdyFrameType.SynReply, streamId, fin ? FlagFin : (byte)0) { Headers = headers };

    public static SpdyFrame RstStream(int streamId, SpdyStatus status) =>
        new(SpdyFrameType.RstStream, streamId, 0) { Value = (int)status };

    public static SpdyFrame Ping(int id) => new(SpdyFrameType.Ping, 0, 0) { Value = id };

    public static SpdyFrame GoAway(int lastGoodStreamId, int status = 0) =>
        new(SpdyFrameType.GoAway, lastGoodStreamId, 0) { Value = status };

    public static SpdyFrame WindowUpdate(int streamId, int delta) =>
        new(SpdyFrameType.WindowUpdate, streamId, 0) { Value = delta };

    /// <summary>The first value of header <paramref name="name"/> (names are lower case on the wire), or null.</summary>
    public static string? Header(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        foreach (var (key, value) in headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                var nul = value.IndexOf('\0', StringComparison.Ordinal);
                return nul < 0 ? value : value[..nul];
            }
        }
        return null;
    }
}

/// <summary>RST_STREAM status codes (SPDY/3.1 §2.6.3).</summary>
internal enum SpdyStatus
{
    ProtocolError = 1,
    InvalidStream = 2,
    RefusedStream = 3,
    UnsupportedVersion = 4,
    Cancel = 5,
    InternalError = 6,
    FlowControlError = 7,
    StreamInUse = 8,
    StreamAlreadyClosed = 9,
}

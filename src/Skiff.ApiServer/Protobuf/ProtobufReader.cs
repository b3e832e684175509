using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Protobuf;

/// <summary>
/// A forward-only protobuf wire reader over a span. Every length is checked against what is left, so a malformed or
/// hostile body ends in a 400 instead of an out-of-range read.
/// </summary>
internal ref struct ProtobufReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public ProtobufReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly bool AtEnd => _position >= _buffer.Length;

    /// <summary>Reads a field key; returns the field number and wire type.</summary>
    public (int Number, WireType WireType) ReadTag()
    {
        ulong key = ReadVarint();
        ulong number = key >> 3;
        if (number == 0 || number > int.MaxValue)
        {
            throw Malformed($"invalid field number {number}");
        }

        return ((int)number, (WireType)(key & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                throw Malformed("truncated varint");
            }

            byte b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw Malformed("varint longer than 10 bytes");
    }

    public ulong ReadFixed64()
    {
        ReadOnlySpan<byte> bytes = Take(8);
        return BitConverter.ToUInt64(bytes);
    }

    public uint ReadFixed32()
    {
        ReadOnlySpan<byte> bytes = Take(4);
        return BitConverter.ToUInt32(bytes);
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
        {
            throw Malformed($"length {length} exceeds the {_buffer.Length - _position} bytes left");
        }

        return Take((int)length);
    }

    /// <summary>Skips a field we have no schema for, which keeps newer clients working (forward compatibility).</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                Take(8);
                break;
            case WireType.LengthDelimited:
                ReadLengthDelimited();
                break;
            case WireType.Fixed32:
                Take(4);
                break;
            default:
                // Groups (3, 4) are proto1-era and never emitted by Kubernetes; 6 and 7 are not wire types at all.
                throw Malformed($"unsupported wire type {(int)wireType}");
        }
    }

    public static StatusException Malformed(string why) =>
        ApiErrors.BadRequest("the protobuf request body is malformed: " + why);

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _buffer.Length - _position)
        {
            throw Malformed($"needed {count} bytes but only {_buffer.Length - _position} are left");
        }

        ReadOnlySpan<byte> slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }
}

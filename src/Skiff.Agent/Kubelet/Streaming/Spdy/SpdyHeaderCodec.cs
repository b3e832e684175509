using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ICSharpCode.SharpZipLib.Zip.Compression;

namespace Skiff.Agent.Kubelet.Streaming.Spdy;

/// <summary>
/// The header blocks of one SPDY connection: each direction is ONE zlib stream with the SPDY dictionary that spans every
/// header block sent that way, so one codec belongs to one connection and is used in frame order.
/// Outgoing blocks are written as stored (uncompressed) deflate blocks followed by the empty stored block a zlib sync flush
/// ends with: byte aligned, complete on their own, and readable by any inflater. Header blocks here are a few dozen bytes, so
/// compressing them gains nothing. Incoming blocks go through SharpZipLib's inflater, which takes a preset dictionary.
/// </summary>
internal sealed class SpdyHeaderCodec
{
    private const int MaxHeaderBlockBytes = 1 << 20;
    private static readonly byte[] s_dictionary = SpdyDictionary.Bytes.ToArray();

    private readonly Inflater _inflater = new();
    private bool _headerWritten;

    /// <summary>Encodes <paramref name="headers"/> as the next compressed header block of this connection's outgoing stream.</summary>
    public byte[] Compress(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var plain = Serialize(headers);
        var output = new ArrayBufferWriter<byte>(plain.Length + 16);
        if (!_headerWritten)
        {
            // CMF 0x78 (deflate, 32 KB window), FLG 0xBB (FDICT set, FCHECK so that CMF*256+FLG is a multiple of 31), DICTID.
            var zlibHeader = output.GetSpan(6);
            zlibHeader[0] = 0x78;
            zlibHeader[1] = 0xBB;
            BinaryPrimitives.WriteUInt32BigEndian(zlibHeader[2..], SpdyDictionary.Adler32);
            output.Advance(6);
            _headerWritten = true;
        }
        var offset = 0;
        do
        {
            var length = Math.Min(plain.Length - offset, ushort.MaxValue);
            var block = output.GetSpan(5 + length);
            block[0] = 0; // BFINAL 0, BTYPE 00 (stored); the rest of the byte is padding.
            BinaryPrimitives.WriteUInt16LittleEndian(block[1..], (ushort)length);
            BinaryPrimitives.WriteUInt16LittleEndian(block[3..], (ushort)~length);
            plain.AsSpan(offset, length).CopyTo(block[5..]);
            output.Advance(5 + length);
            offset += length;
        }
        while (offset < plain.Length);
        // An empty stored block, as zlib's sync flush ends with: Go's inflater hands out a stored block's bytes only when the
        // next block starts, so without it the reader would wait for (or fail on) bytes that belong to the next frame.
        output.Write<byte>([0x00, 0x00, 0x00, 0xFF, 0xFF]);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes the next header block of this connection's incoming stream.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Decompress(ReadOnlySpan<byte> block)
    {
        _inflater.SetInput(block.ToArray());
        var plain = new ArrayBufferWriter<byte>(256);
        var buffer = new byte[4096];
        while (true)
        {
            var n = _inflater.Inflate(buffer);
            if (n > 0)
            {
                plain.Write(buffer.AsSpan(0, n));
                if (plain.WrittenCount > MaxHeaderBlockBytes)
                {
                    throw new InvalidDataException("SPDY header block too large");
                }
                continue;
            }
            if (_inflater.IsNeedingDictionary)
            {
                _inflater.SetDictionary(s_dictionary);
                continue;
            }
            break;
        }
        if (!_inflater.IsNeedingInput)
        {
            throw new InvalidDataException("SPDY header block is not a complete zlib segment");
        }
        return Parse(plain.WrittenSpan);
    }

    /// <summary>The uncompressed form: a 32-bit pair count, then each name and value with a 32-bit length.</summary>
    public static byte[] Serialize(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var output = new ArrayBufferWriter<byte>(128);
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), headers.Count);
        output.Advance(4);
        foreach (var (name, value) in headers)
        {
            WriteString(output, name.ToLowerInvariant());
            WriteString(output, value);
        }
        return output.WrittenSpan.ToArray();
    }

    public static IReadOnlyList<KeyValuePair<string, string>> Parse(ReadOnlySpan<byte> plain)
    {
        var count = ReadInt(ref plain);
        if (count < 0 || count > plain.Length / 8)
        {
            throw new InvalidDataException("SPDY header block has a bad pair count");
        }
        var headers = new List<KeyValuePair<string, string>>(count);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(ref plain);
            var value = ReadString(ref plain);
            headers.Add(new(name, value));
        }
        return headers;
    }

    private static void WriteString(ArrayBufferWriter<byte> output, string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        var span = output.GetSpan(4 + length);
        BinaryPrimitives.WriteInt32BigEndian(span, length);
        Encoding.UTF8.GetBytes(text, span[4..]);
        output.Advance(4 + length);
    }

    private static int ReadInt(ref ReadOnlySpan<byte> input)
    {
        if (input.Length < 4)
        {
            throw new InvalidDataException("SPDY header block is truncated");
        }
        var value = BinaryPrimitives.ReadInt32BigEndian(input);
        input = input[4..];
        return value;
    }

    private static string ReadString(ref ReadOnlySpan<byte> input)
    {
        var length = ReadInt(ref input);
        if (length < 0 || length > input.Length)
        {
            throw new InvalidDataException("SPDY header block has a bad length");
        }
        var text = Encoding.UTF8.GetString(input[..length]);
        input = input[length..];
        return text;
    }
}

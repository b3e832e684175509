using System.IO.Pipelines;
using System.Text;
using ICSharpCode.SharpZipLib.Zip.Compression;
using Skiff.Agent.Kubelet.Streaming.Spdy;

namespace Skiff.Agent.Tests.Kubelet.Streaming;

public sealed class SpdyFramerTests
{
    private static readonly KeyValuePair<string, string>[] s_errorStream =
        [new("streamtype", "error"), new("port", "80"), new("requestid", "0")];

    private static readonly KeyValuePair<string, string>[] s_dataStream =
        [new("streamtype", "data"), new("port", "80"), new("requestid", "0")];

    [Fact]
    public void Dictionary_IsTheSpdy3Dictionary()
    {
        var bytes = SpdyDictionary.Bytes;

        Assert.Equal(1423, bytes.Length);
        Assert.Equal(SpdyDictionary.Adler32, Adler32(bytes));
        Assert.EndsWith("enq=0.", Encoding.ASCII.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void Decompress_BlocksFromZlibWithDictionary_ShareOneStream()
    {
        // Two header blocks as real zlib writes them (preset SPDY dictionary, sync flush after each); the second refers back
        // into the first, so it only decodes in the same zlib stream.
        var first = Convert.FromHexString(
            "78bbe3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45a024cc64610024398b209198094adc8c0600000000ffff");
        var second = Convert.FromHexString("c2aa15540a2512d209000000ffff");
        var codec = new SpdyHeaderCodec();

        Assert.Equal(s_errorStream, codec.Decompress(first));
        Assert.Equal(s_dataStream, codec.Decompress(second));
    }

    [Fact]
    public void Compress_ManyBlocks_ReadByAStandardInflaterWithTheDictionary()
    {
        var codec = new SpdyHeaderCodec();
        var inflater = new Inflater();
        var output = new byte[4096];

        foreach (var headers in new[] { s_errorStream, s_dataStream, [new("x-long", new string('a', 70_000))] })
        {
            var block = codec.Compress(headers);
            // Ends like a zlib sync flush (an empty stored block), which Go's inflater needs to hand out the block's bytes.
            Assert.Equal(new byte[] { 0, 0, 0, 0xFF, 0xFF }, block[^5..]);
            inflater.SetInput(block);
            using var plain = new MemoryStream();
            int n;
            while ((n = inflater.Inflate(output)) > 0 || inflater.IsNeedingDictionary)
            {
                if (n == 0)
                {
                    inflater.SetDictionary(SpdyDictionary.Bytes.ToArray());
                    continue;
                }
                plain.Write(output, 0, n);
            }
            Assert.Equal(headers, SpdyHeaderCodec.Parse(plain.ToArray()));
        }
    }

    [Fact]
    public void Decompress_DeflaterCompressedBlocks_RoundTrip()
    {
        var deflater = new Deflater(Deflater.DEFAULT_COMPRESSION);
        deflater.SetDictionary(SpdyDictionary.Bytes.ToArray());
        var codec = new SpdyHeaderCodec();

        foreach (var headers in new[] { s_errorStream, s_dataStream, s_errorStream })
        {
            deflater.SetInput(SpdyHeaderCodec.Serialize(headers));
            deflater.Flush();
            var buffer = new byte[4096];
            var length = deflater.Deflate(buffer);
            Assert.Equal(headers, codec.Decompress(buffer.AsSpan(0, length)));
        }
    }

    [Fact]
    public async Task Encode_EveryFrameType_ReadsBackTheSame()
    {
        var writer = new SpdyFramer();
        var reader = new SpdyFramer();
        SpdyFrame[] frames =
        [
            SpdyFrame.SynStream(1, s_errorStream, fin: true),
            SpdyFrame.SynReply(1, [new("status", "200")]),
            SpdyFrame.Data(3, "hello"u8.ToArray(), fin: true),
            SpdyFrame.RstStream(5, SpdyStatus.Cancel),
            SpdyFrame.Ping(7),
            SpdyFrame.GoAway(9),
            SpdyFrame.WindowUpdate(3, 4096),
        ];
        using var wire = new MemoryStream();
        foreach (var frame in frames)
        {
            wire.Write(writer.Encode(frame));
        }
        wire.Position = 0;

        foreach (var sent in frames)
        {
            var read = await reader.ReadFrameAsync(wire, CancellationToken.None);
            Assert.NotNull(read);
            Assert.Equal((sent.Type, sent.StreamId, sent.Flags, sent.Value), (read.Type, read.StreamId, read.Flags, read.Value));
            Assert.Equal(sent.Headers, read.Headers);
            Assert.Equal(sent.Payload.ToArray(), read.Payload.ToArray());
        }
        Assert.Null(await reader.ReadFrameAsync(wire, CancellationToken.None));
    }

    [Fact]
    public void Encode_ControlFrame_HasVersion3TypeFlagsAndLength()
    {
        var bytes = new SpdyFramer().Encode(SpdyFrame.Ping(0x01020304));

        Assert.Equal(new byte[] { 0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04 }, bytes);
    }

    [Fact]
    public async Task Connection_PeerPingsEchoed_StreamsCarryDataAndFin()
    {
        var (clientTransport, serverTransport) = DuplexPair();
        await using var client = SpdyConnection.Start(clientTransport, isClient: true);
        await using var server = SpdyConnection.Start(serverTransport, isClient: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var opened = await client.OpenStreamAsync([new("streamtype", "stdout")], cts.Token);
        var accepted = await server.IncomingStreams.ReadAsync(cts.Token);
        await accepted.ReplyAsync(cts.Token);
        await opened.WaitReplyAsync(cts.Token);
        await accepted.WriteAsync("hi"u8.ToArray(), cts.Token);
        await accepted.CloseWriteAsync(cts.Token);
        var received = await StreamTestClients.ReadAllAsync(opened.Input, cts.Token);

        Assert.Equal("stdout", accepted.Header("streamtype"));
        Assert.Equal(1, opened.Id);
        Assert.Equal("hi", received);
    }

    private static (Stream, Stream) DuplexPair()
    {
        var a = new Pipe();
        var b = new Pipe();
        return (new DuplexStream(a.Reader.AsStream(), b.Writer.AsStream()), new DuplexStream(b.Reader.AsStream(), a.Writer.AsStream()));
    }

    private static uint Adler32(ReadOnlySpan<byte> bytes)
    {
        uint a = 1, b = 0;
        foreach (var x in bytes)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }
        return (b << 16) | a;
    }
}

namespace Skiff.Agent.Kubelet.Streaming.Spdy;

/// <summary>
/// The zlib preset dictionary every SPDY/3 and SPDY/3.1 header block is compressed against (SPDY draft 3, §2.6.10.1): 1,423
/// bytes of common header names and values, Adler-32 0xE3C6A7C2.
/// </summary>
internal static class SpdyDictionary
{
    /// <summary>Adler-32 of <see cref="Bytes"/>, the DICTID a zlib stream with this dictionary carries in its header.</summary>
    public const uint Adler32 = 0xE3C6A7C2;

    public static ReadOnlySpan<byte> Bytes =>
        "\0\0\0\u0007options\0\0\0\u0004head\0\0\0\u0004post\0\0\0\u0003put\0\0\0\u0006delete\0\0\0\u0005trace\0\0\0"u8 +
        "\u0006accept\0\0\0\u000eaccept-charset\0\0\0\u000faccept-encoding\0\0\0\u000faccept-language\0\0\0\u000daccept"u8 +
        "-ranges\0\0\0\u0003age\0\0\0\u0005allow\0\0\0\u000dauthorization\0\0\0\u000dcache-control\0\0\0\u000aconnectio"u8 +
        "n\0\0\0\u000ccontent-base\0\0\0\u0010content-encoding\0\0\0\u0010content-language\0\0\0\u000econtent-length\0"u8 +
        "\0\0\u0010content-location\0\0\0\u000bcontent-md5\0\0\0\u000dcontent-range\0\0\0\u000ccontent-type\0\0\0\u0004"u8 +
        "date\0\0\0\u0004etag\0\0\0\u0006expect\0\0\0\u0007expires\0\0\0\u0004from\0\0\0\u0004host\0\0\0\u0008if-match"u8 +
        "\0\0\0\u0011if-modified-since\0\0\0\u000dif-none-match\0\0\0\u0008if-range\0\0\0\u0013if-unmodified-since\0\0"u8 +
        "\0\u000dlast-modified\0\0\0\u0008location\0\0\0\u000cmax-forwards\0\0\0\u0006pragma\0\0\0\u0012proxy-authentic"u8 +
        "ate\0\0\0\u0013proxy-authorization\0\0\0\u0005range\0\0\0\u0007referer\0\0\0\u000bretry-after\0\0\0\u0006serve"u8 +
        "r\0\0\0\u0002te\0\0\0\u0007trailer\0\0\0\u0011transfer-encoding\0\0\0\u0007upgrade\0\0\0\u000auser-agent\0\0\0"u8 +
        "\u0004vary\0\0\0\u0003via\0\0\0\u0007warning\0\0\0\u0010www-authenticate\0\0\0\u0006method\0\0\0\u0003get\0\0"u8 +
        "\0\u0006status\0\0\0\u0006200 OK\0\0\0\u0007version\0\0\0\u0008HTTP/1.1\0\0\0\u0003url\0\0\0\u0006public\0\0\0"u8 +
        "\u000aset-cookie\0\0\0\u000akeep-alive\0\0\0\u0006origin100101201202205206300302303304305306307402405406407408"u8 +
        "409410411412413414415416417502504505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Ba"u8 +
        "d Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Una"u8 +
        "vailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunke"u8 +
        "d,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,pub"u8 +
        "licprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."u8;
}


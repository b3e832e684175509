namespace Skiff.ApiServer.Tests.Protobuf;

/// <summary>Hand-built protobuf wire bytes for the tests (varints, keys and length-delimited fields).</summary>
internal static class ProtoBytes
{
    public static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    public static byte[] VarintField(int number, ulong value) => [.. Varint((ulong)number << 3), .. Varint(value)];

    public static byte[] Field(int number, params byte[][] parts)
    {
        byte[] payload = [.. parts.SelectMany(p => p)];
        return [.. Varint(((ulong)number << 3) | 2), .. Varint((ulong)payload.Length), .. payload];
    }

    public static byte[] Text(int number, string value) => Field(number, System.Text.Encoding.UTF8.GetBytes(value));

    /// <summary>"k8s\0" + runtime.Unknown{typeMeta, raw}.</summary>
    public static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        [.. "k8s\0"u8.ToArray(), .. Field(1, Text(1, apiVersion), Text(2, kind)), .. Field(2, raw)];
}

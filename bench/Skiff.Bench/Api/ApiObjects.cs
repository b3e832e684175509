using System.Text;

namespace Skiff.Bench.Api;

/// <summary>The request bodies the benchmark sends: small objects of the sizes controllers and vcluster's syncer typically write.</summary>
internal static class ApiObjects
{
    // 64 bytes of data: a ConfigMap the size of a small setting, not of a file.
    private static readonly string s_configValue = new('c', 64);

    // A 256-byte token, base64: Secrets in a virtual cluster are mostly service-account tokens and small credentials.
    private static readonly string s_secretValue = Convert.ToBase64String(Encoding.ASCII.GetBytes(new string('s', 256)));

    public static byte[] ConfigMap(string name) =>
        Bytes($$$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{{name}}}}"},"data":{"value":"{{{{s_configValue}}}}"}}""");

    /// <summary>A single-container Pod with no node to run on: it stays Pending, as pods do while a cluster scales up.</summary>
    public static byte[] Pod(string name, int shard) =>
        Bytes($$$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{{name}}}}","labels":{"app":"bench","shard":"s{{{{shard}}}}"}},"spec":{"containers":[{"name":"main","image":"registry.k8s.io/pause:3.10","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}""");

    public static byte[] Secret(string name, string label) =>
        Bytes($$$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"{{{{name}}}}","labels":{"app":"{{{{label}}}}"}},"type":"Opaque","data":{"token":"{{{{s_secretValue}}}}"}}""");

    public static byte[] SecretPatch(long generation) => Bytes($$$$"""{"data":{"generation":"{{{{Convert.ToBase64String(Encoding.ASCII.GetBytes(generation.ToString(System.Globalization.CultureInfo.InvariantCulture)))}}}}"}}""");

    /// <summary>A merge patch that stamps the watch round into the watched ConfigMap, so each watcher can tell which write it saw.</summary>
    public static byte[] RoundPatch(int round) => Bytes($$$$"""{"data":{"round":"{{{{round}}}}"}}""");

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}

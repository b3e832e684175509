namespace Skiff.ApiServer.OpenApi;

/// <summary>One generated OpenAPI v3 document: its path in the index ("apis/apps/v1"), its UTF-8 JSON and the hash kubectl echoes.</summary>
internal sealed record GroupVersionDocument(string Path, byte[] Json, string Hash);

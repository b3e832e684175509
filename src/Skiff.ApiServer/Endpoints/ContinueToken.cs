using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Skiff.Machinery.Errors;

namespace Skiff.ApiServer.Endpoints;

/// <summary>The opaque continue token of a paged list: the revision of the first page and the last key returned.</summary>
internal sealed record ContinueToken(long Revision, string StartAfter)
{
    public string Encode() =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["v"] = "meta.k8s.io/v1", ["rv"] = Revision, ["start"] = StartAfter }));

    public static ContinueToken Decode(string token)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(Base64Url.DecodeFromChars(token));
            JsonElement root = document.RootElement;
            return new ContinueToken(root.GetProperty("rv").GetInt64(), root.GetProperty("start").GetString() ?? string.Empty);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw ApiErrors.BadRequest($"invalid continue token: {Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(token))}");
        }
    }
}

using System.Globalization;
using System.Text.Json;

namespace Skiff.ApiServer.Authentication;

internal sealed partial class ServiceAccountTokens
{
    /// <summary>
    /// The uid and deletion time of a token's service account or bound object. Read from the watch cache (every request with
    /// a token asks, so no store read on the hot path); only a miss or another uid is confirmed with a store read, as
    /// upstream's getter falls back from its informer to a live GET, so a just-created pod is never refused for cache lag.
    /// </summary>
    private async Task<ObjectState?> LookupAsync(string plural, string? ns, string name, string expectedUid, CancellationToken cancellationToken)
    {
        ObjectState? hit = null;
        ReadOnlyMemory<byte>? json = await reads.GetJsonAsync(
            reads.Resource(string.Empty, plural), ns, name, cached => (hit = Read(cached))?.Uid == expectedUid, cancellationToken);
        // A cached copy that was taken has been read already; only a store answer is read here.
        return json is not { } found ? null : hit?.Uid == expectedUid ? hit : Read(found.Span);
    }

    private static ObjectState? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        if (!document.RootElement.TryGetProperty("metadata", out JsonElement metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        string uid = metadata.TryGetProperty("uid", out JsonElement u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : string.Empty;
        DateTimeOffset? deleted = metadata.TryGetProperty("deletionTimestamp", out JsonElement d) && d.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(d.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at : null;
        return new ObjectState(uid, deleted);
    }

    /// <summary>What a token check needs of an object.</summary>
    private sealed record ObjectState(string Uid, DateTimeOffset? DeletedAt);
}

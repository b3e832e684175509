namespace Skiff.Bench.Api;

/// <summary>One answer: HTTP status, body size, and the body when it was asked for (or the request failed).</summary>
internal sealed record ApiResponse(int Status, long Bytes, byte[]? Body)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

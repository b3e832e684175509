namespace Skiff.Store.Sqlite;

/// <summary>One queued request to the single writer; completed after its batch is durable.</summary>
internal sealed class WriteOperation
{
    private readonly TaskCompletionSource<WriteResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WriteOperation(WriteKind kind, string key, ReadOnlyMemory<byte> value, long expected, long? expiresAtMs, long compactTo = 0, long rangeFrom = 0, long rangeTo = 0)
    {
        Kind = kind;
        Key = key;
        Value = value;
        Expected = expected;
        ExpiresAtMs = expiresAtMs;
        CompactTo = compactTo;
        RangeFrom = rangeFrom;
        RangeTo = rangeTo;
    }

    public WriteKind Kind { get; }

    public string Key { get; }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The mod revision the key must still have (0 = any, for deletes).</summary>
    public long Expected { get; }

    public long? ExpiresAtMs { get; }

    public long CompactTo { get; }

    public long RangeFrom { get; }

    public long RangeTo { get; }

    /// <summary>Set by the writer inside the transaction; published only once the commit succeeded.</summary>
    public WriteResult? Result { get; set; }

    public Task<WriteResult> Task => _completion.Task;

    public static WriteOperation Create(string key, ReadOnlyMemory<byte> value, long? expiresAtMs) => new(WriteKind.Create, key, value, 0, expiresAtMs);

    public static WriteOperation Update(string key, ReadOnlyMemory<byte> value, long expected, long? expiresAtMs) => new(WriteKind.Update, key, value, expected, expiresAtMs);

    public static WriteOperation Delete(string key, long expected) => new(WriteKind.Delete, key, ReadOnlyMemory<byte>.Empty, expected, null);

    public static WriteOperation MarkCompacted(long revision) => new(WriteKind.MarkCompacted, string.Empty, ReadOnlyMemory<byte>.Empty, 0, null, revision);

    public static WriteOperation CompactRange(long from, long to) => new(WriteKind.CompactRange, string.Empty, ReadOnlyMemory<byte>.Empty, 0, null, 0, from, to);

    public static WriteOperation Reclaim() => new(WriteKind.Reclaim, string.Empty, ReadOnlyMemory<byte>.Empty, 0, null);

    public void Complete() => _completion.TrySetResult(Result ?? throw new InvalidOperationException("the writer set no result"));

    public void Fail(Exception exception) => _completion.TrySetException(exception);
}

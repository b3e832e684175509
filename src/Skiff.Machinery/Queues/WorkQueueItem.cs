namespace Skiff.Machinery.Queues;

/// <summary>What <see cref="WorkQueue{T}.GetAsync"/> returns: an item to process, or the news that the queue shut down.</summary>
public readonly struct WorkQueueItem<T> : IEquatable<WorkQueueItem<T>>
    where T : notnull
{
    private readonly T? _item;

    private WorkQueueItem(T? item, bool shuttingDown)
    {
        _item = item;
        ShuttingDown = shuttingDown;
    }

    /// <summary>True when the queue shut down and is empty: the worker should return.</summary>
    public bool ShuttingDown { get; }

    /// <summary>The item; call <see cref="WorkQueue{T}.Done"/> with it when finished.</summary>
    /// <exception cref="InvalidOperationException">The queue shut down, so there is no item.</exception>
    public T Item => ShuttingDown || _item is null ? throw new InvalidOperationException("The work queue shut down.") : _item;

    internal static WorkQueueItem<T> Of(T item) => new(item, shuttingDown: false);

    internal static WorkQueueItem<T> ShutDown() => new(default, shuttingDown: true);

    public bool Equals(WorkQueueItem<T> other) =>
        ShuttingDown == other.ShuttingDown && EqualityComparer<T?>.Default.Equals(_item, other._item);

    public override bool Equals(object? obj) => obj is WorkQueueItem<T> other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_item, ShuttingDown);

    public static bool operator ==(WorkQueueItem<T> left, WorkQueueItem<T> right) => left.Equals(right);

    public static bool operator !=(WorkQueueItem<T> left, WorkQueueItem<T> right) => !left.Equals(right);
}

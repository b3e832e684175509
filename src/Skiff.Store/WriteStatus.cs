namespace Skiff.Store;

/// <summary>The outcome of a write.</summary>
public enum WriteStatus
{
    Ok,
    AlreadyExists,
    Conflict,
    NotFound,
}

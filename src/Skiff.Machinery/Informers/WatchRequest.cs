namespace Skiff.Machinery.Informers;

/// <summary>
/// The parameters of one watch: resume after <paramref name="ResourceVersion"/>, ask the server to end the watch after
/// <paramref name="TimeoutSeconds"/> (so a dead connection cannot hang the informer forever), and accept bookmarks.
/// </summary>
public sealed record WatchRequest(string ResourceVersion, int TimeoutSeconds, bool AllowWatchBookmarks);

using Skiff.ControlPlane.Scheduling.Framework;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>The extension point names of upstream's Plugins type, and the interface each one runs (null: none in Skiff yet).</summary>
public static class ExtensionPoint
{
    public const string MultiPoint = "multiPoint";
    public const string PreEnqueue = "preEnqueue";
    public const string QueueSort = "queueSort";
    public const string PreFilter = "preFilter";
    public const string Filter = "filter";
    public const string PostFilter = "postFilter";
    public const string PreScore = "preScore";
    public const string Score = "score";
    public const string Reserve = "reserve";
    public const string Permit = "permit";
    public const string PreBind = "preBind";
    public const string Bind = "bind";
    public const string PostBind = "postBind";

    /// <summary>Every point except multiPoint, in upstream's order.</summary>
    public static IReadOnlyList<string> All { get; } = [PreEnqueue, QueueSort, PreFilter, Filter, PostFilter, PreScore, Score, Reserve, Permit, PreBind, Bind, PostBind];

    private static readonly (string Point, Type Interface)[] s_interfaces =
    [
        (PreFilter, typeof(IPreFilterPlugin)),
        (Filter, typeof(IFilterPlugin)),
        (PreScore, typeof(IPreScorePlugin)),
        (Score, typeof(IScorePlugin)),
        (PostFilter, typeof(IPostFilterPlugin)),
    ];

    /// <summary>The points a plugin type extends, from the interfaces it implements.</summary>
    public static IReadOnlySet<string> Of(Type pluginType)
    {
        ArgumentNullException.ThrowIfNull(pluginType);
        return s_interfaces.Where(i => i.Interface.IsAssignableFrom(pluginType)).Select(i => i.Point).ToHashSet(StringComparer.Ordinal);
    }
}

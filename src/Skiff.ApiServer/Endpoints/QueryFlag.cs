using Microsoft.Extensions.Primitives;

namespace Skiff.ApiServer.Endpoints;

/// <summary>
/// Reads a boolean query parameter (watch, allowWatchBookmarks, force) the way kube-apiserver's parameter codec does
/// (apimachinery Convert_Slice_string_To_bool): absent is false, "0" or "false" in any case is false, and any other value,
/// even an empty one (<c>?watch</c>), is true. Clients rely on this: the Python client sends <c>watch=True</c>.
/// </summary>
internal static class QueryFlag
{
    public static bool IsTrue(StringValues values)
    {
        if (values.Count == 0)
        {
            return false;
        }

        string first = values[0] ?? string.Empty;
        return first != "0" && !first.Equals("false", StringComparison.OrdinalIgnoreCase);
    }
}

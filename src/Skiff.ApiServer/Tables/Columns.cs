namespace Skiff.ApiServer.Tables;

/// <summary>Builders for column definitions, with upstream's descriptions for the columns every kind shares.</summary>
internal static class Columns
{
    public const string NameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the " +
        "generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. " +
        "Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

    public const string CreationTimestampDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in " +
        "happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\n" +
        "Populated by the system. Read-only. Null for lists. More info: " +
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    public const string ContainersDescription = "Names of each container in the template.";
    public const string ImagesDescription = "Images referenced by each container in the template.";

    public static TableColumn Name() => new("Name", "string", "name", NameDescription, 0);

    public static TableColumn Age() => new("Age", "string", string.Empty, CreationTimestampDescription, 0);

    public static TableColumn String(string name, string description, int priority = 0) => new(name, "string", string.Empty, description, priority);

    public static TableColumn Integer(string name, string description, int priority = 0) => new(name, "integer", string.Empty, description, priority);

    public static TableColumn Boolean(string name, string description, int priority = 0) => new(name, "boolean", string.Empty, description, priority);

    public static TableColumn Containers() => String("Containers", ContainersDescription, 1);

    public static TableColumn Images() => String("Images", ImagesDescription, 1);

    public static TableColumn Selector(string description) => String("Selector", description, 1);
}

